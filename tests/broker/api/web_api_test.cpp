// The API the web page needs beyond the CLI's: the caller's roles, a requester's recent grants of
// the requested role, grants filtered by who approved them, and revocation with a factor (required
// for the page's cookie session).
#include "broker/api/roles_api.hpp"
#include "tests/support/access_fixture.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;
using Headers = std::map<std::string, std::string>;

std::vector<std::string> ids_of(const Answer& answer, std::string_view list) {
  std::vector<std::string> ids;
  for (const auto& item : answer.body.at(list).as_array()) ids.push_back(str(item, "id"));
  return ids;
}

class WebApiTest : public ::testing::Test {
 protected:
  void SetUp() override { broker::add_role_routes(f_.router_, *f_.identity_); }

  // Bearer headers of `user`, who is enrolled and signed in on first use (scrypt is the cost).
  const Headers& bearer(const std::string& user) {
    auto found = bearer_.find(user);
    if (found == bearer_.end()) found = bearer_.emplace(user, f_.sign_in(user)).first;
    return found->second;
  }

  Headers cookie_session(const std::string& user) {
    bearer(user);
    f_.advance(std::chrono::seconds(30));
    auto answer = f_.login(user, std::string(kTestPassword), f_.totp(f_.secrets_.at(user)));
    EXPECT_EQ(answer.status, 200u) << answer.raw.body();
    return {{"Cookie", std::string(broker::kSessionCookie) + "=" + str(answer.body, "token")},
            {"X-CSRF-Token", str(answer.body, "csrf_token")}};
  }

  std::string new_request(const std::string& requester = "alice") {
    const auto& headers = bearer(requester);
    json::object ask{{"role", "prod-db-read"},
                     {"reason", "migrate orders"},
                     {"ticket", "OPS-1"},
                     {"duration", "30m"},
                     {"mfa", f_.mfa(requester)}};
    auto created = f_.post("/v1/requests", ask, headers);
    EXPECT_EQ(created.status, 201u) << created.raw.body();
    return str(created.body, "id");
  }

  Answer review(const std::string& id, const std::string& reviewer, const std::string& decision) {
    const auto& headers = bearer(reviewer);
    auto answer =
        f_.post("/v1/requests/" + id + "/" + decision, {{"mfa", f_.mfa(reviewer)}}, headers);
    EXPECT_EQ(answer.status, 200u) << answer.raw.body();
    return answer;
  }

  // A request of `requester` approved by carol and dave; returns its grant id.
  std::string grant_for(const std::string& requester = "alice") {
    const auto id = new_request(requester);
    review(id, "carol", "approve");
    return str(review(id, "dave", "approve").body.at("grant"), "id");
  }

  AccessFixture f_;
  std::map<std::string, Headers> bearer_;
};

TEST_F(WebApiTest, RolesListWhatEachCallerMayDoWithEachRole) {
  auto alice = f_.get("/v1/roles", bearer("alice"));
  ASSERT_EQ(alice.status, 200u);
  EXPECT_EQ(json::serialize(alice.body),
            R"({"roles":[{"name":"prod-db-read","requestable":true,"approver":false,)"
            R"("breakglass":false,"approvals_required":2,"approver_mfa":"any","max_duration":"1h",)"
            R"("default_duration":"1h","require_reason":true,"require_ticket":true,)"
            R"("ssh_principals":["dbread"]}]})");

  auto carol = f_.get("/v1/roles", bearer("carol"));
  ASSERT_EQ(carol.body.at("roles").as_array().size(), 1u);
  const auto& as_approver = carol.body.at("roles").at(0);
  EXPECT_FALSE(as_approver.at("requestable").as_bool());
  EXPECT_TRUE(as_approver.at("approver").as_bool());
  EXPECT_FALSE(as_approver.at("breakglass").as_bool());

  auto erin = f_.get("/v1/roles", bearer("erin"));
  ASSERT_EQ(erin.body.at("roles").as_array().size(), 1u);
  EXPECT_TRUE(erin.body.at("roles").at(0).at("breakglass").as_bool());
  EXPECT_FALSE(erin.body.at("roles").at(0).at("requestable").as_bool());

  // An auditor reads requests but acts on no role.
  auto frank = f_.get("/v1/roles", bearer("frank"));
  EXPECT_EQ(json::serialize(frank.body), R"({"roles":[]})");

  auto anonymous = f_.get("/v1/roles");
  EXPECT_EQ(anonymous.status, 401u);
  EXPECT_EQ(code_of(anonymous), "unauthenticated");
}

TEST_F(WebApiTest, HistoryShowsTheRequestersEarlierGrantsOfTheRoleToWhoeverMayViewTheRequest) {
  const auto first = grant_for("alice");
  const auto denied = new_request("alice");
  review(denied, "carol", "deny");
  const auto bobs = grant_for("bob");
  const auto second = grant_for("alice");
  const auto current = new_request("alice");

  auto history = f_.get("/v1/requests/" + current + "/history", bearer("carol"));
  ASSERT_EQ(history.status, 200u) << history.raw.body();
  // Newest first; neither bob's grant nor a denied request (no grant) appears.
  EXPECT_EQ(ids_of(history, "grants"), (std::vector<std::string>{second, first}));
  EXPECT_EQ(str(history.body.at("grants").at(0), "user"), "alice");
  EXPECT_EQ(str(history.body.at("grants").at(0), "state"), "active");

  // A request's own grant is not its history.
  const auto second_request = str(f_.get("/v1/grants/" + second, bearer("alice")).body, "request");
  auto own = f_.get("/v1/requests/" + second_request + "/history", bearer("dave"));
  EXPECT_EQ(ids_of(own, "grants"), (std::vector<std::string>{first}));

  // The requester and auditors may look; another developer may not even learn it exists.
  EXPECT_EQ(f_.get("/v1/requests/" + current + "/history", bearer("alice")).status, 200u);
  EXPECT_EQ(f_.get("/v1/requests/" + current + "/history", bearer("frank")).status, 200u);
  auto bob = f_.get("/v1/requests/" + current + "/history", bearer("bob"));
  EXPECT_EQ(bob.status, 404u);
  EXPECT_EQ(code_of(bob), "not_found");
  auto unknown =
      f_.get("/v1/requests/req-00000000000000000000000000000000/history", bearer("carol"));
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(code_of(unknown), "not_found");
  EXPECT_EQ(f_.get("/v1/requests/" + current + "/history").status, 401u);
  (void)bobs;
}

TEST_F(WebApiTest, HistoryKeepsTheTenNewest) {
  std::vector<std::string> grants;
  for (int i = 0; i < 12; ++i) {
    grants.push_back(grant_for("alice"));
    f_.advance(std::chrono::seconds(1));
  }
  const auto current = new_request("alice");
  auto history = f_.get("/v1/requests/" + current + "/history", bearer("carol"));
  const auto ids = ids_of(history, "grants");
  ASSERT_EQ(ids.size(), 10u);
  EXPECT_EQ(ids.front(), grants.back());
  EXPECT_EQ(ids.back(), grants[2]);
}

TEST_F(WebApiTest, GrantsCanBeFilteredByWhoApprovedThem) {
  const auto both = grant_for("alice");  // carol and dave
  f_.advance(std::chrono::seconds(1));
  const auto id = new_request("bob");
  review(id, "dave", "deny");  // a denial approves nothing
  const auto revoked = grant_for("bob");
  auto end = f_.post("/v1/grants/" + revoked + "/revoke", {{"reason", "done"}}, bearer("bob"));
  ASSERT_EQ(end.status, 200u) << end.raw.body();

  auto carol = f_.get("/v1/grants?state=active&approved_by=carol", bearer("carol"));
  ASSERT_EQ(carol.status, 200u) << carol.raw.body();
  EXPECT_EQ(ids_of(carol, "grants"), (std::vector<std::string>{both}));
  auto any_state = f_.get("/v1/grants?approved_by=dave", bearer("carol"));
  EXPECT_EQ(ids_of(any_state, "grants"), (std::vector<std::string>{revoked, both}));
  EXPECT_TRUE(
      f_.get("/v1/grants?approved_by=erin", bearer("carol")).body.at("grants").as_array().empty());
  // Visibility still applies: alice sees only her own grant however she filters.
  EXPECT_EQ(ids_of(f_.get("/v1/grants?approved_by=dave", bearer("alice")), "grants"),
            (std::vector<std::string>{both}));

  for (const char* bad : {"approved_by=", "approved_by=a%20b", "approved_by=%27%20OR%201=1--",
                          "approved_by=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                          "aaaaaa"}) {
    auto answer = f_.get(std::string("/v1/grants?") + bad, bearer("carol"));
    EXPECT_EQ(answer.status, 400u) << bad;
    EXPECT_EQ(code_of(answer), "invalid_input") << bad;
  }
}

// One user-name rule (config::is_safe_name) for policy, login and this filter: a name starting
// with '-' or '.' is no user name anywhere (the filter's own copy used to accept it).
TEST_F(WebApiTest, AnApprovedByFilterFollowsThePolicysNameRule) {
  for (const char* bad :
       {"approved_by=-carol", "approved_by=.carol", "approved_by=-", "approved_by=.."}) {
    auto answer = f_.get(std::string("/v1/grants?") + bad, bearer("carol"));
    EXPECT_EQ(answer.status, 400u) << bad;
    EXPECT_EQ(code_of(answer), "invalid_input") << bad;
  }
  EXPECT_EQ(f_.get("/v1/grants?approved_by=carol-2.x_y", bearer("carol")).status, 200u);
}

TEST_F(WebApiTest, ThePageRevokesOnlyWithAFactorInTheCall) {
  const auto grant = grant_for("alice");
  const auto page = cookie_session("carol");

  // Right after sign-in, still: the page's revoke always carries a factor.
  auto bare = f_.post("/v1/grants/" + grant + "/revoke", {{"reason", "done"}}, page);
  EXPECT_EQ(bare.status, 401u);
  EXPECT_EQ(code_of(bare), "mfa_required");
  auto wrong = f_.post(
      "/v1/grants/" + grant + "/revoke",
      {{"reason", "done"}, {"mfa", {{"totp", f_.wrong_totp(f_.secrets_.at("carol"))}}}}, page);
  EXPECT_EQ(wrong.status, 401u);
  auto malformed =
      f_.post("/v1/grants/" + grant + "/revoke", {{"reason", "done"}, {"mfa", "123456"}}, page);
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(code_of(malformed), "invalid_input");
  EXPECT_EQ(str(f_.get("/v1/grants/" + grant, bearer("alice")).body, "state"), "active");
  EXPECT_EQ(f_.audit_count("grant.revoke"), 0);

  auto revoked = f_.post("/v1/grants/" + grant + "/revoke",
                         {{"reason", "incident over"}, {"mfa", f_.mfa("carol")}}, page);
  ASSERT_EQ(revoked.status, 200u) << revoked.raw.body();
  EXPECT_EQ(str(revoked.body, "state"), "revoked");
  const auto details = f_.store_->read([](SQLite::Database& db) {
    return db.execAndGet("SELECT details FROM audit WHERE action = 'grant.revoke'").getString();
  });
  EXPECT_EQ(str(json::parse(details).at("mfa"), "factor"), "totp");
}

TEST_F(WebApiTest, ARevokeThatWouldBeRefusedSpendsNoFactor) {
  const auto grant = grant_for("alice");
  // bob may not see alice's grant; erin sees nothing of the role's requests either.
  auto bob = f_.post("/v1/grants/" + grant + "/revoke", {{"reason", "x"}}, cookie_session("bob"));
  EXPECT_EQ(bob.status, 404u);
  EXPECT_EQ(code_of(bob), "not_found");
  // Revoking twice: the second is refused on the grant's state, before any factor is checked.
  const auto page = cookie_session("dave");
  ASSERT_EQ(
      f_.post("/v1/grants/" + grant + "/revoke", {{"reason", "x"}, {"mfa", f_.mfa("dave")}}, page)
          .status,
      200u);
  auto again = f_.post("/v1/grants/" + grant + "/revoke",
                       {{"reason", "x"}, {"mfa", {{"totp", "000000"}}}}, page);
  EXPECT_EQ(again.status, 409u) << again.raw.body();
  EXPECT_EQ(f_.audit_count("grant.revoke.refused"), 1);
  EXPECT_EQ(f_.audit_count("presence.failure"), 0);
}

TEST_F(WebApiTest, TheCliStillRevokesOnItsSessionAndMayAddAFactor) {
  const auto first = grant_for("alice");
  f_.advance(std::chrono::minutes(6));  // past the MFA freshness window, within the idle timeout
  auto plain = f_.post("/v1/grants/" + first + "/revoke", {{"reason", "done"}}, bearer("alice"));
  ASSERT_EQ(plain.status, 200u) << plain.raw.body();
  EXPECT_EQ(str(plain.body, "state"), "revoked");
}

}  // namespace
}  // namespace jit::broker
