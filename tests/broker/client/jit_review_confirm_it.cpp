// `jit approve|deny` show the request they decide on and ask first (issue 14 item 18), against
// canned broker answers: the text shown, that anything but "y" decides nothing, and the shipped
// binary without a terminal, which refuses unless --yes.
#include "broker/client/jit_access_commands.hpp"
#include "support/jit_cli_fixture.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

using Canned = CannedBroker;
using status = http::status;

TEST_F(JitCliTest, ApproveShowsTheRequestAsksThenPromptsForTheCodeBeforeSending) {
  broker_.script("GET /v1/requests/{id}", {Canned::json(status::ok, request_json("pending"))});
  broker_.script("POST /v1/requests/{id}/approve",
                 {Canned::json(status::ok, request_json("pending", 1))});
  ReviewOptions options{kRequestId, "looks fine", std::nullopt};
  options.interactive = true;
  const auto result = run(
      [&](auto& in, auto& out, auto& err) {
        return jit_review(global_, ReviewKind::approve, options, in, out, err);
      },
      "y\n111111\n");
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "approve request " + kRequestId +
                            ":\n"
                            "  requester:  alice\n"
                            "  role:       prod-db-read\n"
                            "  duration:   1h\n"
                            "  reason:     INC-1 slow queries\n"
                            "  ticket:     OPS-7\n"
                            "  state:      pending (approvals 0/2)\n"
                            "Approve this request? [y/N] TOTP code: ");
  EXPECT_EQ(result.out,
            "approved: " + kRequestId + "  prod-db-read  pending  approvals 1/2  by alice\n");
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].method, "GET");
  EXPECT_EQ(calls[0].target, "/v1/requests/" + kRequestId);
  EXPECT_EQ(calls[1].target, "/v1/requests/" + kRequestId + "/approve");
  EXPECT_EQ(totp_of(calls[1]), "111111");
  EXPECT_EQ(body_text(calls[1], "comment"), "looks fine");
}

// A role with approver_mfa: passkey: jit has no passkey, so it sends nobody's code and points to
// the page; a denial still goes ahead with a code.
TEST_F(JitCliTest, APasskeyOnlyApprovalIsSentToThePageWithoutAskingForACode) {
  auto request = request_json("pending");
  request["approver_mfa"] = "passkey";
  broker_.script("GET /v1/requests/{id}", {Canned::json(status::ok, request)});
  ReviewOptions options{kRequestId, std::nullopt, std::nullopt};
  options.yes = true;
  const auto result = run([&](auto& in, auto& out, auto& err) {
    return jit_review(global_, ReviewKind::approve, options, in, out, err);
  });
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("approvals of prod-db-read need a passkey; approve on the web page"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("TOTP code"), std::string::npos) << result.err;
  for (const auto& call : broker_.calls()) EXPECT_EQ(call.method, "GET") << call.target;
}

TEST_F(JitCliTest, AnsweringAnythingButYesShowsTheRequestAndDecidesNothing) {
  broker_.script("GET /v1/requests/{id}", {Canned::json(status::ok, request_json("pending"))});
  for (const auto kind : {ReviewKind::approve, ReviewKind::deny}) {
    for (const char* reply : {"n\n", "\n", "nope\n", ""}) {
      ReviewOptions options{kRequestId, std::nullopt, "222222"};
      options.interactive = true;
      const auto result =
          run([&](auto& in, auto& out,
                  auto& err) { return jit_review(global_, kind, options, in, out, err); },
              reply);
      EXPECT_EQ(result.code, 1) << reply;
      EXPECT_EQ(result.out, "");
      EXPECT_NE(result.err.find("  requester:  alice\n"), std::string::npos) << result.err;
      EXPECT_NE(result.err.find("  reason:     INC-1 slow queries\n"), std::string::npos);
      EXPECT_NE(result.err.find("  ticket:     OPS-7\n"), std::string::npos);
      EXPECT_NE(result.err.find("nothing decided"), std::string::npos) << result.err;
    }
  }
  for (const auto& call : broker_.calls()) EXPECT_EQ(call.method, "GET") << call.target;
}

TEST_F(JitCliTest, ARequestThatCannotBeShownIsNotDecided) {
  broker_.script("GET /v1/requests/{id}",
                 {Canned::error(status::not_found, "not_found", "request not found")});
  ReviewOptions options{kRequestId, std::nullopt, "222222"};
  options.yes = true;
  const auto result = run([&](auto& in, auto& out, auto& err) {
    return jit_review(global_, ReviewKind::approve, options, in, out, err);
  });
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "jit: request not found (not_found)\n");
  EXPECT_EQ(broker_.calls().size(), 1u);
}

// The shipped binary without a terminal: approve and deny refuse to decide unseen unless --yes,
// and with --yes still print what is being decided.
TEST_F(JitCliTest, TheJitBinaryNeverDecidesUnseenWithoutATerminalUnlessYes) {
  broker_.script("GET /v1/requests/{id}", {Canned::json(status::ok, request_json("pending"))});
  broker_.script("POST /v1/requests/{id}/approve",
                 {Canned::json(status::ok, request_json("pending", 1))});
  const std::string env = "JIT_CONFIG_DIR=" + (dir_ / "jit-config").string();
  for (const char* decision : {"approve", "deny"}) {
    auto [code, out, err] = jit::testing::ChildProcess::run(
        {kJitBinary, decision, kRequestId, "--totp", "123456"}, dir_.path(), {env}, "y\n");
    EXPECT_EQ(code, 1) << decision << ": " << err;
    EXPECT_EQ(out, "");
    EXPECT_NE(err.find("not a terminal"), std::string::npos) << err;
    EXPECT_NE(err.find("--yes"), std::string::npos) << err;
  }
  for (const auto& call : broker_.calls()) EXPECT_EQ(call.method, "GET") << call.target;

  auto [code, out, err] = jit::testing::ChildProcess::run(
      {kJitBinary, "approve", kRequestId, "--totp", "123456", "--yes"}, dir_.path(), {env});
  EXPECT_EQ(code, 0) << err;
  EXPECT_TRUE(out.starts_with("approved: " + kRequestId)) << out;
  for (const char* shown : {"alice", "prod-db-read", "INC-1 slow queries", "OPS-7", "1h"}) {
    EXPECT_NE(err.find(shown), std::string::npos) << shown << " in " << err;
  }
  const auto calls = broker_.calls();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().target, "/v1/requests/" + kRequestId + "/approve");
  EXPECT_EQ(totp_of(calls.back()), "123456");
}

// Issue 21 item 6: the code just used to sign in, typed again to approve. The broker's 409
// totp_code_used is said plainly and exits 1 (the session is fine, so not 2)...
TEST_F(JitCliTest, ACodeUsedAlreadyIsSaidPlainlyAndExitsOne) {
  boost::json::object used{{"error", "that code was already used; enter the next one"},
                           {"code", "totp_code_used"},
                           {"retry_after_seconds", 12}};
  broker_.script("GET /v1/requests/{id}", {Canned::json(status::ok, request_json("pending"))});
  broker_.script("POST /v1/requests/{id}/approve", {Canned::json(status::conflict, used)});
  ReviewOptions options{kRequestId, std::nullopt, "111111"};
  options.yes = true;
  options.interactive = true;  // a terminal, but the code came with --totp: not asked again
  const auto result = run([&](auto& in, auto& out, auto& err) {
    return jit_review(global_, ReviewKind::approve, options, in, out, err);
  });
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(result.err.ends_with(
      "\njit: that code was already used (e.g. to sign in); enter the next one, in 12 s\n"))
      << result.err;
  EXPECT_EQ(broker_.calls().size(), 2u);  // GET, one POST
}

// ...and a code typed at the prompt is asked for once more on a terminal.
TEST_F(JitCliTest, APromptedCodeUsedAlreadyIsAskedForOnceMore) {
  boost::json::object used{{"error", "that code was already used; enter the next one"},
                           {"code", "totp_code_used"},
                           {"retry_after_seconds", 7}};
  broker_.script("GET /v1/requests/{id}", {Canned::json(status::ok, request_json("pending"))});
  broker_.script("POST /v1/requests/{id}/approve",
                 {Canned::json(status::conflict, used), Canned::json(status::conflict, used)});
  ReviewOptions options{kRequestId, std::nullopt, std::nullopt};
  options.interactive = true;
  const auto result = run(
      [&](auto& in, auto& out, auto& err) {
        return jit_review(global_, ReviewKind::approve, options, in, out, err);
      },
      "y\n111111\n222222\n333333\n");
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.err.find("TOTP code: jit: that code was already used (e.g. to sign in); enter "
                            "the next one, in 7 s\nTOTP code: "),
            std::string::npos)
      << result.err;
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 3u);  // GET, then the two codes; never a third
  EXPECT_EQ(totp_of(calls[1]), "111111");
  EXPECT_EQ(totp_of(calls[2]), "222222");
}

}  // namespace
}  // namespace jit::broker
