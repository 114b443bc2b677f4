// The `jit` access commands against canned broker answers (docs/api.md): what each sends, what it
// prints where, the MFA prompt and retry, the exit codes of `wait`, and the error line.
#include "broker/client/jit_access_commands.hpp"
#include "support/jit_cli_fixture.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

using namespace std::chrono_literals;
using Canned = CannedBroker;
using status = http::status;

RequestOptions db_request() {
  RequestOptions options;
  options.role = "prod-db-read";
  options.reason = "INC-1 slow queries";
  options.ticket = "OPS-7";
  options.duration = "30m";
  return options;
}

TEST_F(JitCliTest, RequestPromptsForTotpOnMfaRequiredAndRetriesOnceWithIt) {
  broker_.script("POST /v1/requests",
                 {Canned::error(status::unauthorized, "mfa_required", "fresh MFA required"),
                  Canned::json(status::created, request_json("pending"))});
  const auto result =
      run([&](auto& in, auto& out,
              auto& err) { return jit_request(global_, db_request(), in, out, err); },
          "654321\n");
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, kRequestId + "\n");  // alone: id=$(jit request ...)
  EXPECT_NE(result.err.find("TOTP code: "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("is pending (approvals 0/2)"), std::string::npos) << result.err;
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].target, "/v1/requests");
  EXPECT_EQ(calls[0].authorization, "Bearer test-token");
  EXPECT_EQ(totp_of(calls[0]), "<absent>");
  EXPECT_EQ(body_text(calls[0], "role"), "prod-db-read");
  EXPECT_EQ(body_text(calls[0], "reason"), "INC-1 slow queries");
  EXPECT_EQ(body_text(calls[0], "ticket"), "OPS-7");
  EXPECT_EQ(body_text(calls[0], "duration"), "30m");
  EXPECT_EQ(totp_of(calls[1]), "654321");
  EXPECT_EQ(body_text(calls[1], "role"), "prod-db-read");
}

TEST_F(JitCliTest, RequestWithTotpOptionSendsItAtOnceAndNeverPrompts) {
  broker_.script("POST /v1/requests",
                 {Canned::error(status::unauthorized, "mfa_required", "fresh MFA required")});
  RequestOptions options = db_request();
  options.totp = "123456";
  const auto result = run(
      [&](auto& in, auto& out, auto& err) { return jit_request(global_, options, in, out, err); },
      "999999\n");
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "jit: fresh MFA required (mfa_required)\n");
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(totp_of(calls[0]), "123456");
}

TEST_F(JitCliTest, RequestWithoutAnAnsweredPromptSendsNothingMore) {
  broker_.script("POST /v1/requests",
                 {Canned::error(status::unauthorized, "mfa_required", "fresh MFA required")});
  const auto result = run([&](auto& in, auto& out, auto& err) {
    return jit_request(global_, db_request(), in, out, err);
  });
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("jit: no TOTP code entered\n"), std::string::npos) << result.err;
  EXPECT_EQ(broker_.calls().size(), 1u);
}

TEST_F(JitCliTest, RefusalsPrintTheBrokersTextAndCodeWithTheirExitCodes) {
  broker_.script("POST /v1/requests",
                 {Canned::error(status::bad_request, "duration_above_max", "duration above 1h"),
                  Canned::error(status::unauthorized, "unauthenticated", "session expired"),
                  [](const RecordedCall&) {
                    return text_response(status::bad_gateway, "upstream down", "text/plain");
                  }});
  const auto request = [&](auto& in, auto& out, auto& err) {
    return jit_request(global_, db_request(), in, out, err);
  };
  auto result = run(request);
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "jit: duration above 1h (duration_above_max)\n");
  EXPECT_EQ(result.out, "");
  result = run(request);
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err, "jit: session expired (unauthenticated)\n");
  result = run(request);
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "jit: the broker answered HTTP 502\n");
}

TEST_F(JitCliTest, UnreachableBrokerIsAnErrorAndNoSessionIsExitTwo) {
  JitGlobalOptions closed;
  closed.broker_url = "https://127.0.0.1:1";
  auto result = run([&](auto& in, auto& out, auto& err) {
    return jit_request(closed, db_request(), in, out, err);
  });
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("jit: cannot reach https://127.0.0.1:1"), std::string::npos)
      << result.err;
  JitGlobalOptions plain;
  plain.broker_url = "http://" + broker_.url().substr(8);
  result = run([&](auto& in, auto& out, auto& err) {
    return jit_request(plain, db_request(), in, out, err);
  });
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "jit: the broker URL must be https://\n");

  CliProfile signed_out = load_cli_profile(cli_config_dir());
  signed_out.token.clear();
  save_cli_profile(cli_config_dir(), signed_out);
  result = run([&](auto& in, auto& out, auto& err) {
    return jit_request(global_, db_request(), in, out, err);
  });
  EXPECT_EQ(result.code, 2);
  EXPECT_NE(result.err.find("not logged in"), std::string::npos);
  EXPECT_TRUE(broker_.calls().empty());
}

TEST_F(JitCliTest, IdsThatAreNotIdsNeverReachAUrl) {
  for (const std::string& bad : std::vector<std::string>{
           "req-../../v1/grants", "req-0123", "REQ-0123456789abcdef0123456789abcdef",
           "req-0123456789ABCDEF0123456789abcdef", kGrantId}) {
    WaitOptions options;
    options.id = bad;
    const auto result =
        run([&](auto&, auto& out, auto& err) { return jit_wait(global_, options, out, err); });
    EXPECT_EQ(result.code, 1) << bad;
    EXPECT_NE(result.err.find("is not a request id"), std::string::npos) << result.err;
  }
  RevokeOptions revoke{kRequestId, "done", std::nullopt};
  const auto result = run(
      [&](auto& in, auto& out, auto& err) { return jit_revoke(global_, revoke, in, out, err); });
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("is not a grant id"), std::string::npos);
  EXPECT_TRUE(broker_.calls().empty());
}

class WaitExitCodes : public JitCliTest {
 protected:
  CommandRun wait_for(std::vector<Canned::Answer> answers,
                      std::chrono::milliseconds timeout = 10s) {
    broker_.script("GET /v1/requests/{id}", std::move(answers));
    WaitOptions options;
    options.id = kRequestId;
    options.timeout = timeout;
    options.interval = 20ms;
    return run([&](auto&, auto& out, auto& err) { return jit_wait(global_, options, out, err); });
  }
};

TEST_F(WaitExitCodes, ActiveAfterPendingPrintsTheGrantIdAndExitsZero) {
  const auto result = wait_for(
      {Canned::json(status::ok, request_json("pending", 0)),
       Canned::json(status::ok, request_json("pending", 1)),
       Canned::json(status::ok, request_json("active", 2, grant_json("active", 1700003700)))});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, kGrantId + "\n");
  EXPECT_NE(result.err.find("approvals 0/2"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("approvals 1/2"), std::string::npos) << result.err;
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2].method, "GET");
  EXPECT_EQ(calls[2].target, "/v1/requests/" + kRequestId);
}

TEST_F(WaitExitCodes, DeniedIsThree) {
  const auto result = wait_for({Canned::json(status::ok, request_json("pending")),
                                Canned::json(status::ok, request_json("denied"))});
  EXPECT_EQ(result.code, 3);
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("was denied"), std::string::npos);
}

TEST_F(WaitExitCodes, TimedOutAndCancelledAreFour) {
  auto result = wait_for({Canned::json(status::ok, request_json("pending")),
                          Canned::json(status::ok, request_json("timed_out"))});
  EXPECT_EQ(result.code, 4);
  EXPECT_NE(result.err.find("is timed_out"), std::string::npos);
  result = wait_for({Canned::json(status::ok, request_json("cancelled"))});
  EXPECT_EQ(result.code, 4);
  EXPECT_NE(result.err.find("is cancelled"), std::string::npos);
}

TEST_F(WaitExitCodes, TheLocalTimeoutIsFourAfterThatLong) {
  const auto start = std::chrono::steady_clock::now();
  // A second of polls every 20 ms: even a sanitized build on a loaded machine, where each poll's
  // TLS handshake can take a few hundred milliseconds, gets its third poll in.
  const auto result = wait_for({Canned::json(status::ok, request_json("pending"))}, 1s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.code, 4);
  EXPECT_NE(result.err.find("still pending"), std::string::npos);
  EXPECT_GE(elapsed, 1s);
  EXPECT_LT(elapsed, 5s);
  EXPECT_GE(broker_.calls().size(), 3u);  // it kept polling
}

TEST_F(WaitExitCodes, AnEndedGrantOrAnErrorIsOneAnd401IsTwo) {
  auto result = wait_for({Canned::json(status::ok, request_json("expired"))});
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("already ended (expired)"), std::string::npos);
  result = wait_for({Canned::error(status::not_found, "not_found", "request not found")});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "jit: request not found (not_found)\n");
  result = wait_for({Canned::error(status::unauthorized, "unauthenticated", "session expired")});
  EXPECT_EQ(result.code, 2);
}

TEST_F(JitCliTest, DenyAndPostIncidentReviewUseTheirPathsAndTheGivenCode) {
  broker_.script("GET /v1/requests/{id}", {Canned::json(status::ok, request_json("pending"))});
  broker_.script("POST /v1/requests/{id}/deny", {Canned::json(status::ok, request_json("denied"))});
  broker_.script("POST /v1/requests/{id}/review",
                 {Canned::error(status::forbidden, "self_review", "you cannot review your own")});
  ReviewOptions options{kRequestId, std::nullopt, "222222"};
  options.yes = true;
  auto result = run([&](auto& in, auto& out, auto& err) {
    return jit_review(global_, ReviewKind::deny, options, in, out, err);
  });
  EXPECT_EQ(result.code, 0);
  // The request is shown; no question (--yes) and no prompt (the code was given).
  EXPECT_TRUE(result.err.starts_with("deny request " + kRequestId + ":\n")) << result.err;
  EXPECT_EQ(result.err.find("[y/N]"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("TOTP code"), std::string::npos) << result.err;
  EXPECT_TRUE(result.out.starts_with("denied: " + kRequestId + "  prod-db-read  denied"))
      << result.out;
  // The post-incident review closes a break-glass that already happened: no question.
  options.yes = false;
  result = run([&](auto& in, auto& out, auto& err) {
    return jit_review(global_, ReviewKind::post_incident, options, in, out, err);
  });
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "jit: you cannot review your own (self_review)\n");
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].target, "/v1/requests/" + kRequestId);
  EXPECT_EQ(calls[1].target, "/v1/requests/" + kRequestId + "/deny");
  EXPECT_EQ(body_text(calls[1], "comment"), "<absent>");
  EXPECT_EQ(totp_of(calls[1]), "222222");
  EXPECT_EQ(calls[2].target, "/v1/requests/" + kRequestId + "/review");
}

TEST_F(JitCliTest, BreakglassPrintsRequestIdThenGrantId) {
  auto answer = request_json("active", 0, grant_json("active", 1700001900));
  answer["breakglass"] = true;
  answer["incident"] = "INC-42";
  answer["review_due_at"] = 1700086400;
  broker_.script("POST /v1/breakglass", {Canned::json(status::created, answer)});
  BreakglassOptions options{"prod-db-read", "INC-42", "database down", "30m", std::nullopt};
  const auto result = run([&](auto& in, auto& out,
                              auto& err) { return jit_breakglass(global_, options, in, out, err); },
                          "333333\n");
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, kRequestId + "\n" + kGrantId + "\n");
  EXPECT_TRUE(result.err.starts_with("TOTP code: break-glass access to prod-db-read is active"))
      << result.err;
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(body_text(calls[0], "incident"), "INC-42");
  EXPECT_EQ(body_text(calls[0], "reason"), "database down");
  EXPECT_EQ(body_text(calls[0], "duration"), "30m");
  EXPECT_EQ(totp_of(calls[0]), "333333");
}

TEST_F(JitCliTest, StatusOfOneRequestShowsApprovalsReviewsAndTheGrant) {
  auto answer = request_json("active", 2, grant_json("active", 1700003700));
  answer["reviews"] = boost::json::array{{{"reviewer", "carol"},
                                          {"decision", "approve"},
                                          {"comment", "ok"},
                                          {"created_at", 1700000050},
                                          {"mfa", {{"factor", "totp"}}}},
                                         {{"reviewer", "dave"},
                                          {"decision", "approve"},
                                          {"comment", ""},
                                          {"created_at", 1700000100},
                                          {"mfa", {{"factor", "webauthn"}}}}};
  broker_.script("GET /v1/requests/{id}", {Canned::json(status::ok, answer)});
  StatusOptions options;
  options.id = kRequestId;
  auto result =
      run([&](auto&, auto& out, auto& err) { return jit_status(global_, options, out, err); });
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(result.out.starts_with(kRequestId + "  prod-db-read  active\n")) << result.out;
  for (const std::string& line : std::vector<std::string>{
           "  approvals:  2/2 (denials 0)\n",
           "  review:     carol approve at 2023-11-14 22:14:10 UTC (", ") with totp: ok\n",
           "  review:     dave approve at 2023-11-14 22:15:00 UTC (",
           "  grant:      " + kGrantId + "  active, not_after 2023-11-14 23:15:00 UTC ("}) {
    EXPECT_NE(result.out.find(line), std::string::npos) << line << "\n" << result.out;
  }
  options.json = true;
  result = run([&](auto&, auto& out, auto& err) { return jit_status(global_, options, out, err); });
  EXPECT_EQ(boost::json::parse(result.out), boost::json::value(answer));
}

TEST_F(JitCliTest, StatusWithoutIdListsRequestsAndGrants) {
  broker_.script(
      "GET /v1/requests",
      {Canned::json(status::ok, {{"requests", boost::json::array{request_json("pending", 1)}}})});
  broker_.script(
      "GET /v1/grants",
      {Canned::json(status::ok,
                    {{"grants", boost::json::array{grant_json("active", 1700003700)}}})});
  StatusOptions options;
  auto result =
      run([&](auto&, auto& out, auto& err) { return jit_status(global_, options, out, err); });
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(result.out.starts_with(
      "requests:\n  " + kRequestId +
      "  prod-db-read  pending  approvals 1/2  by alice\ngrants:\n  " + kGrantId +
      "  prod-db-read  active  not_after 2023-11-14 23:15:00 UTC ("))
      << result.out;
  options.state = "review_due";
  result = run([&](auto&, auto& out, auto& err) { return jit_status(global_, options, out, err); });
  EXPECT_EQ(result.code, 0);
  EXPECT_EQ(result.out.find("grants:"), std::string::npos);
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2].target, "/v1/requests?state=review_due");
  options.state = "pending&x=1";
  result = run([&](auto&, auto& out, auto& err) { return jit_status(global_, options, out, err); });
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(broker_.calls().size(), 3u);
}

// The listings come in pages (issue 14, B9): `jit status` follows `next` and shows every page.
TEST_F(JitCliTest, StatusFollowsTheListingsCursor) {
  const std::string cursor = "1700000000.req-11111111111111111111111111111111";
  auto second = request_json("active", 2);
  second["id"] = "req-11111111111111111111111111111111";
  broker_.script(
      "GET /v1/requests",
      {Canned::json(status::ok, {{"requests", boost::json::array{request_json("pending", 1)}},
                                 {"next", cursor}}),
       Canned::json(status::ok, {{"requests", boost::json::array{second}}})});
  broker_.script("GET /v1/grants", {Canned::json(status::ok, {{"grants", boost::json::array{}}})});
  StatusOptions options;
  auto result =
      run([&](auto&, auto& out, auto& err) { return jit_status(global_, options, out, err); });
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_NE(result.out.find(kRequestId + "  prod-db-read  pending"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("req-11111111111111111111111111111111  prod-db-read  active"),
            std::string::npos)
      << result.out;
  auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].target, "/v1/requests?after=" + cursor);
  EXPECT_EQ(calls[2].target, "/v1/grants");
  // A cursor that would change the query is not followed.
  broker_.script(
      "GET /v1/requests",
      {Canned::json(status::ok, {{"requests", boost::json::array{}}, {"next", "1&x=2"}})});
  result = run([&](auto&, auto& out, auto& err) { return jit_status(global_, options, out, err); });
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(broker_.calls().size(), 4u);
}

TEST_F(JitCliTest, RevokeSendsTheReasonAndCancelTheRequest) {
  auto revoked = grant_json("revoked", 1700003700);
  revoked["end_reason"] = "done early";
  broker_.script("POST /v1/grants/{id}/revoke", {Canned::json(status::ok, revoked)});
  broker_.script("POST /v1/requests/{id}/cancel",
                 {Canned::json(status::ok, request_json("cancelled"))});
  RevokeOptions options{kGrantId, "done early", std::nullopt};
  auto result = run(
      [&](auto& in, auto& out, auto& err) { return jit_revoke(global_, options, in, out, err); });
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(result.out.starts_with("revoked: " + kGrantId + "  prod-db-read  revoked  not_after"))
      << result.out;
  result =
      run([&](auto&, auto& out, auto& err) { return jit_cancel(global_, kRequestId, out, err); });
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(result.out.starts_with("cancelled: " + kRequestId)) << result.out;
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].target, "/v1/grants/" + kGrantId + "/revoke");
  EXPECT_EQ(body_text(calls[0], "reason"), "done early");
  EXPECT_EQ(calls[1].target, "/v1/requests/" + kRequestId + "/cancel");
}

// The shipped binary: a script's `id=$(jit request ...)` and `jit wait`'s exit code through main.
TEST_F(JitCliTest, TheJitBinaryPrintsTheIdFirstAndWaitExitsThreeWhenDenied) {
  broker_.script("POST /v1/requests", {Canned::json(status::created, request_json("pending"))});
  broker_.script("GET /v1/requests/{id}", {Canned::json(status::ok, request_json("denied"))});
  const std::string env = "JIT_CONFIG_DIR=" + (dir_ / "jit-config").string();
  auto [code, out, err] = jit::testing::ChildProcess::run(
      {kJitBinary, "request", "prod-db-read", "--reason", "r", "--ticket", "t", "--totp", "123456"},
      dir_.path(), {env});
  EXPECT_EQ(code, 0) << err;
  EXPECT_EQ(out, kRequestId + "\n");
  auto [wait_code, wait_out, wait_err] = jit::testing::ChildProcess::run(
      {kJitBinary, "wait", kRequestId, "--interval", "50ms", "--timeout", "10s"}, dir_.path(),
      {env});
  EXPECT_EQ(wait_code, 3) << wait_err;
  auto [bad_code, bad_out, bad_err] = jit::testing::ChildProcess::run(
      {kJitBinary, "wait", kRequestId, "--interval", "0s"}, dir_.path(), {env});
  EXPECT_NE(bad_code, 0);
  EXPECT_NE(bad_err.find("expected a duration"), std::string::npos) << bad_err;
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(totp_of(calls[0]), "123456");
}

}  // namespace
}  // namespace jit::broker
