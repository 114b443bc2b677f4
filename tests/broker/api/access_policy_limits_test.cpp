// Policy limits of the access workflow through its API (issue 14 items 15 and 16): break-glass
// limits, the overdue-review refusal and the repeat alert, and group membership checked again at
// approval and at mint. A store in a temporary folder and a clock the test moves.
#include "ca/ssh_public_key.hpp"
#include "support/signed_in_access_test.hpp"
#include "tests/support/access_fixture.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;
using Headers = std::map<std::string, std::string>;

class AccessPolicyLimitsTest : public SignedInAccessTest {};

TEST_F(AccessPolicyLimitsTest,
       BreakGlassIsLimitedToMaxActiveRefusedWhileAReviewIsOverdueAndAlertsOnRepeat) {
  const auto break_glass = [&](const std::string& incident) {
    return f_.post("/v1/breakglass",
                   {{"role", "prod-db-read"},
                    {"incident", incident},
                    {"reason", "db down"},
                    {"mfa", f_.mfa("erin")}},
                   headers_["erin"]);
  };
  auto first = break_glass("INC-1");
  ASSERT_EQ(first.status, 201u) << first.raw.body();
  // A second overlapping grant of the same role: max_active is 1 by default.
  auto overlap = break_glass("INC-2");
  EXPECT_EQ(overlap.status, 409u) << overlap.raw.body();
  EXPECT_EQ(code_of(overlap), "breakglass_limit_reached");
  EXPECT_EQ(f_.count_rows("requests"), 1);
  EXPECT_EQ(f_.audit_count("breakglass.refused"), 1);
  EXPECT_EQ(f_.event_names(), (std::vector<std::string>{"breakglass"}));

  // Once the first grant is given back, another is allowed, but it is a repeat within a day with
  // the first still unreviewed: an escalating alert and its own audit record.
  auto grant_id = str(first.body.at("grant"), "id");
  ASSERT_EQ(
      f_.post("/v1/grants/" + grant_id + "/revoke", {{"reason", "done"}}, headers_["erin"]).status,
      200u);
  auto second = break_glass("INC-2");
  ASSERT_EQ(second.status, 201u) << second.raw.body();
  EXPECT_EQ(f_.event_names(), (std::vector<std::string>{"breakglass", "grant.revoked", "breakglass",
                                                        "breakglass.repeated"}));
  EXPECT_EQ(f_.audit_count("breakglass.repeated"), 1);

  // A day later both reviews are overdue: no more break-glass until they are done.
  f_.advance(std::chrono::hours(25));
  headers_["erin"] = f_.relogin("erin");
  headers_["carol"] = f_.relogin("carol");
  auto overdue = break_glass("INC-3");
  EXPECT_EQ(overdue.status, 409u) << overdue.raw.body();
  EXPECT_EQ(code_of(overdue), "breakglass_review_overdue");
  for (const auto& done : {first, second}) {
    auto reviewed = f_.post("/v1/requests/" + str(done.body, "id") + "/review",
                            {{"comment", "ok"}, {"mfa", f_.mfa("carol")}}, headers_["carol"]);
    ASSERT_EQ(reviewed.status, 200u) << reviewed.raw.body();
  }
  auto after_review = break_glass("INC-3");
  ASSERT_EQ(after_review.status, 201u) << after_review.raw.body();
  EXPECT_EQ(f_.audit_count("breakglass.repeated"), 1);  // reviewed and more than a day ago
  EXPECT_EQ(f_.audit_count("breakglass.refused"), 2);
}

TEST_F(AccessPolicyLimitsTest, ARequesterRemovedFromTheRequestingGroupGetsNoGrantAndMintsNothing) {
  const auto grant_id = active_grant();
  auto created = f_.post("/v1/requests", ask(), headers_["alice"]);
  ASSERT_EQ(created.status, 201u) << created.raw.body();
  const auto id = str(created.body, "id");
  // The policy now has alice in no requesting group (still a user: she is in oncall). The service
  // reads the policy it was given at each call, as after a restart with the new file.
  f_.policy_.groups["developers"] = {"bob"};
  f_.policy_.groups["oncall"] = {"erin", "alice"};

  auto approve =
      f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa("carol")}}, headers_["carol"]);
  EXPECT_EQ(approve.status, 409u) << approve.raw.body();
  EXPECT_EQ(code_of(approve), "requester_not_entitled");
  auto request = f_.get("/v1/requests/" + id, headers_["carol"]);
  EXPECT_EQ(str(request.body, "state"), "cancelled");
  EXPECT_TRUE(request.body.at("grant").is_null());
  auto again =
      f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa("dave")}}, headers_["dave"]);
  EXPECT_EQ(code_of(again), "not_pending");
  EXPECT_EQ(f_.count_rows("grants"), 1);

  auto minted =
      f_.post("/v1/grants/" + grant_id + "/ssh-cert",
              {{"public_key", new_user_key_line()}, {"mfa", f_.mfa("alice")}}, headers_["alice"]);
  EXPECT_EQ(minted.status, 403u) << minted.raw.body();
  EXPECT_EQ(code_of(minted), "not_entitled");
  EXPECT_EQ(f_.count_rows("certificates"), 0);
}

}  // namespace
}  // namespace jit::broker
