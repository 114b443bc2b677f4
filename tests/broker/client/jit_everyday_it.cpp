// The everyday `jit` commands of issue 21 against canned broker answers (docs/api.md): `roles`,
// what `request` adds to a refusal naming the role or its maximum, `request --wait`, what
// `revoke` says about the grant's end and the KRL, `whoami`'s times, and the live status line of a
// wait on a terminal.
#include "broker/client/jit_access_commands.hpp"
#include "broker/client/jit_commands.hpp"
#include "broker/client/jit_roles_commands.hpp"
#include "support/jit_cli_fixture.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

using Canned = CannedBroker;
using status = http::status;

boost::json::object everyday_roles() {
  return {{"roles",
           {{{"name", "prod-db-read"},
             {"requestable", true},
             {"approver", false},
             {"breakglass", true},
             {"approvals_required", 2},
             {"max_duration", "4h"},
             {"default_duration", "1h"},
             {"require_reason", true},
             {"require_ticket", true},
             {"ssh_principals", {"dbread"}}},
            {{"name", "staging-admin"},
             {"requestable", false},
             {"approver", true},
             {"breakglass", false},
             {"approvals_required", 1},
             {"max_duration", "8h"},
             {"default_duration", "1h"},
             {"require_reason", false},
             {"require_ticket", false},
             {"ssh_principals", boost::json::array{}}}}}};
}

RequestOptions everyday_request(const std::string& role) {
  RequestOptions options;
  options.role = role;
  options.reason = "INC-1 slow queries";
  options.ticket = "OPS-7";
  return options;
}

TEST_F(JitCliTest, RolesListsWhatYouMayRequestOrApproveWithTheirLimits) {
  broker_.script("GET /v1/roles", {Canned::json(status::ok, everyday_roles())});
  const auto result =
      run([&](auto&, auto& out, auto& err) { return jit_roles(global_, out, err); });
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(
      result.out,
      "ROLE           YOU MAY                      APPROVALS  MAX     DEFAULT  NEEDS\n"
      "prod-db-read   request,break-glass          2          4h      1h       reason,ticket\n"
      "staging-admin  approve                      1          8h      1h       -\n");
}

TEST_F(JitCliTest, RequestForARoleYouCannotRequestListsTheOnesYouCan) {
  broker_.script("POST /v1/requests",
                 {Canned::error(status::bad_request, "unknown_role", "no such role")});
  broker_.script("GET /v1/roles", {Canned::json(status::ok, everyday_roles())});
  const auto result = run([&](auto& in, auto& out, auto& err) {
    return jit_request(global_, everyday_request("prod-db-wirte"), in, out, err);
  });
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "jit: no such role (unknown_role)\n"
            "jit: roles you may request: prod-db-read (see `jit roles`)\n");
}

TEST_F(JitCliTest, RequestAboveTheMaximumNamesTheMaximum) {
  broker_.script("POST /v1/requests", {Canned::error(status::bad_request, "duration_above_max",
                                                     "duration is above the role's maximum")});
  broker_.script("GET /v1/roles", {Canned::json(status::ok, everyday_roles())});
  auto options = everyday_request("prod-db-read");
  options.duration = "9h";
  const auto result = run(
      [&](auto& in, auto& out, auto& err) { return jit_request(global_, options, in, out, err); });
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err,
            "jit: duration is above the role's maximum (duration_above_max)\n"
            "jit: the maximum duration of prod-db-read is 4h\n");
}

TEST_F(JitCliTest, RequestWaitPrintsTheRequestThenTheGrantOnceApproved) {
  broker_.script("POST /v1/requests", {Canned::json(status::created, request_json("pending"))});
  broker_.script(
      "GET /v1/requests/{id}",
      {Canned::json(status::ok, request_json("pending", 1)),
       Canned::json(status::ok, request_json("active", 2, grant_json("active", 4102444800)))});
  auto options = everyday_request("prod-db-read");
  options.wait = true;
  options.wait_interval = std::chrono::milliseconds(10);
  const auto result = run(
      [&](auto& in, auto& out, auto& err) { return jit_request(global_, options, in, out, err); });
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, kRequestId + "\n" + kGrantId + "\n");
  EXPECT_NE(result.err.find("is pending, approvals 1/2\n"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("is active until 2100-01-01 00:00:00 UTC"), std::string::npos)
      << result.err;
}

TEST_F(JitCliTest, RequestWaitExitsThreeWhenDenied) {
  broker_.script("POST /v1/requests", {Canned::json(status::created, request_json("pending"))});
  broker_.script("GET /v1/requests/{id}", {Canned::json(status::ok, request_json("denied"))});
  auto options = everyday_request("prod-db-read");
  options.wait = true;
  options.wait_interval = std::chrono::milliseconds(10);
  const auto result = run(
      [&](auto& in, auto& out, auto& err) { return jit_request(global_, options, in, out, err); });
  EXPECT_EQ(result.code, 3);
  EXPECT_EQ(result.out, kRequestId + "\n");
}

TEST_F(JitCliTest, WaitingOnATerminalRewritesOneStatusLine) {
  broker_.script("GET /v1/requests/{id}", {Canned::json(status::ok, request_json("pending", 1))});
  const std::string env = "JIT_CONFIG_DIR=" + (dir_ / "jit-config").string();
  // script(1) (util-linux) gives jit a terminal; its stdout is what that terminal showed.
  const std::string command =
      kJitBinary + " wait " + kRequestId + " --interval 50ms --timeout 400ms";
  auto [code, out, err] =
      ChildProcess::run({"/usr/bin/script", "-qec", command, "/dev/null"}, dir_.path(), {env});
  EXPECT_EQ(code, 4) << out << err;
  const std::string line = "\r" + kRequestId + " is pending, approvals 1/2, waiting ";
  const auto first = out.find(line);
  const auto last = out.rfind(line);
  ASSERT_NE(first, std::string::npos) << out;
  EXPECT_LT(first, last) << out;  // polled more than once...
  EXPECT_EQ(out.substr(first, last - first).find('\n'), std::string::npos) << out;  // ...in place
  EXPECT_NE(out.find("\x1b[K"), std::string::npos) << out;
  EXPECT_NE(out.find("\njit: gave up waiting for " + kRequestId), std::string::npos) << out;
}

TEST_F(JitCliTest, RevokeSaysTheGrantEndedAndWhichKrlListsIt) {
  auto revoked = grant_json("revoked", 4102444800);
  revoked["revocation_lists"] = {{"krl_version", 12}, {"crl_number", 9}};
  broker_.script("POST /v1/grants/{id}/revoke", {Canned::json(status::ok, revoked)});
  RevokeOptions options{kGrantId, "done early", dir_ / "no-keys-here"};
  const auto result = run(
      [&](auto& in, auto& out, auto& err) { return jit_revoke(global_, options, in, out, err); });
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(result.out.starts_with("revoked: " + kGrantId)) << result.out;
  EXPECT_NE(result.err.find("grant " + kGrantId + " has ended"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("in the KRL the broker serves now (version 12, CRL number 9); each "
                            "host refuses them once it loads that KRL"),
            std::string::npos)
      << result.err;
}

TEST_F(JitCliTest, RevokeOfAGrantWithoutCertificatesSaysSo) {
  broker_.script("POST /v1/grants/{id}/revoke",
                 {Canned::json(status::ok, grant_json("revoked", 4102444800))});
  RevokeOptions options{kGrantId, "not needed", std::nullopt};
  const auto result = run(
      [&](auto& in, auto& out, auto& err) { return jit_revoke(global_, options, in, out, err); });
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_NE(result.err.find("no certificate was minted for it"), std::string::npos) << result.err;
}

TEST_F(JitCliTest, WhoamiPrintsTheSessionEndWithZoneLikeStatus) {
  broker_.script(
      "GET /v1/session",
      {Canned::json(status::ok,
                    {{"user", "alice"}, {"groups", {"developers"}}, {"expires_at", 4102444800}})});
  const auto result =
      run([&](auto&, auto& out, auto& err) { return jit_whoami(global_, out, err); });
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(
      result.out.starts_with("user alice, groups developers, session ends at 2100-01-01 "
                             "00:00:00 UTC (in "))
      << result.out;
}

}  // namespace
}  // namespace jit::broker
