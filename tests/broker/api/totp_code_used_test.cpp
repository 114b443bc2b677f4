// Issue 21 item 6: an approver who signs in with a TOTP code and types the same code again to
// approve (same 30 s step) is told `409 totp_code_used` with the wait for the next step, not a 401
// that reads as a lost session. The code is still refused, the request stays pending, and the
// failure is audited and counted on the session's own lockout counter exactly as a wrong code is.
#include "tests/support/access_fixture.hpp"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;

class TotpCodeUsedTest : public ::testing::Test, public AccessFixture {
 protected:
  // The failures on `user`'s session counters (presence proofs), summed.
  std::int64_t session_failures(const std::string& user) {
    return store_->read([&](SQLite::Database& db) {
      SQLite::Statement q(db,
                          "SELECT coalesce(sum(failures), 0) FROM login_failures WHERE user = ? "
                          "AND source LIKE 'session/%'");
      q.bind(1, user);
      q.executeStep();
      return q.getColumn(0).getInt64();
    });
  }
  std::int64_t replay_failure_records(const std::string& user) {
    return store_->read([&](SQLite::Database& db) {
      SQLite::Statement q(db,
                          "SELECT count(*) FROM audit WHERE action = 'presence.failure' AND "
                          "object = ? AND json_extract(details, '$.reason') = "
                          "'second factor replayed'");
      q.bind(1, "user/" + user);
      q.executeStep();
      return q.getColumn(0).getInt64();
    });
  }
};

TEST_F(TotpCodeUsedTest, TheSignInCodeAgainIsRefusedAsUsedCountedAndLeavesTheRequestPending) {
  const auto alice = sign_in("alice");
  const auto carol = sign_in("carol");  // with the code of this 30 s step
  const auto created = post("/v1/requests",
                            {{"role", "prod-db-read"},
                             {"reason", "migrate orders"},
                             {"ticket", "OPS-1"},
                             {"duration", "30m"}},
                            alice);
  ASSERT_EQ(created.status, 201u) << created.raw.body();
  const std::string id(created.body.at("id").as_string());
  const json::object same_code{{"totp", totp(secrets_.at("carol"))}};

  // Each attempt is refused as used (409, not 401: carol's session is fine), and counted.
  const std::int64_t limit = settings().lockout.max_failures;
  for (std::int64_t attempt = 1; attempt <= limit; ++attempt) {
    const auto refused =
        post("/v1/requests/" + id + "/approve", {{"comment", "ok"}, {"mfa", same_code}}, carol);
    EXPECT_EQ(refused.status, 409u) << refused.raw.body();
    EXPECT_EQ(code_of(refused), "totp_code_used");
    EXPECT_EQ(str(refused.body, "error"), "that code was already used; enter the next one");
    const auto wait = refused.body.at("retry_after_seconds").as_int64();
    EXPECT_GE(wait, 1);
    EXPECT_LE(wait, 30);
    EXPECT_EQ(session_failures("carol"), attempt);
    EXPECT_EQ(replay_failure_records("carol"), attempt);
  }
  EXPECT_EQ(get("/v1/session", carol).status, 200u);  // the session did not end
  const auto pending = get("/v1/requests/" + id, alice);
  EXPECT_EQ(str(pending.body, "state"), "pending");
  EXPECT_EQ(pending.body.at("approvals").as_int64(), 0);

  // The same lockout budget as wrong codes: past it, even the next step's code is refused
  // (401, the lock), until the lock passes.
  const auto locked = post("/v1/requests/" + id + "/approve", {{"mfa", mfa("carol")}}, carol);
  EXPECT_EQ(locked.status, 401u) << locked.raw.body();
  EXPECT_EQ(code_of(locked), "unauthenticated");
  advance(std::chrono::seconds(61));
  const auto approved = post("/v1/requests/" + id + "/approve", {{"mfa", mfa("carol")}}, carol);
  EXPECT_EQ(approved.status, 200u) << approved.raw.body();
  EXPECT_EQ(approved.body.at("approvals").as_int64(), 1);
  EXPECT_EQ(session_failures("carol"), 0);  // a proof that passes clears the session's counter
}

// Login keeps its one answer for every failure: a used code after the right password would
// otherwise tell a guesser that the password was right.
TEST_F(TotpCodeUsedTest, LoginWithAUsedCodeStaysTheSame401) {
  sign_in("dave");
  const auto again = login("dave", std::string(kTestPassword), totp(secrets_.at("dave")));
  EXPECT_EQ(again.status, 401u) << again.raw.body();
  EXPECT_EQ(code_of(again), "unauthenticated");
  EXPECT_EQ(again.body.as_object().if_contains("retry_after_seconds"), nullptr);
}

// Issue 21 item 1: answers naming one request carry its page link at the configured page origin.
TEST_F(TotpCodeUsedTest, RequestAnswersCarryTheirPageLink) {
  const auto alice = sign_in("alice");
  const auto created = post("/v1/requests",
                            {{"role", "prod-db-read"},
                             {"reason", "migrate orders"},
                             {"ticket", "OPS-1"},
                             {"duration", "30m"}},
                            alice);
  ASSERT_EQ(created.status, 201u) << created.raw.body();
  const std::string id(created.body.at("id").as_string());
  const std::string link = settings().webauthn.origin + "/#request=" + id;
  EXPECT_EQ(str(created.body, "link"), link);
  EXPECT_EQ(str(get("/v1/requests/" + id, alice).body, "link"), link);
  const auto listed = get("/v1/requests", alice);
  ASSERT_EQ(listed.status, 200u);
  EXPECT_EQ(listed.body.at("requests").as_array().at(0).as_object().if_contains("link"), nullptr);
}

}  // namespace
}  // namespace jit::broker
