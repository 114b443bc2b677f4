// Issue 21 items 1 and 6 with the shipped `jit` and a real `jit-broker serve`: `jit request`,
// `jit status ID` and `jit wait` print the request's page link at the broker's configured page
// origin (mfa.webauthn.origin, here the default https://localhost:8443, not the URL jit calls),
// and an approver who types the code they just signed in with is told that the code was used and
// how long until the next one, with exit code 1 (not 2: the session is fine).
#include "approvals/totp.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>

namespace jit::broker {
namespace {

using jit::testing::ChildProcess;
using jit::testing::kJitBinary;

class JitSameCodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* user : {"alice", "carol"}) secrets_[user] = broker_.enroll(user);
    broker_.start();
  }

  std::string current_code(const std::string& user) {
    return *approvals::totp_code(secrets_.at(user), std::chrono::floor<std::chrono::seconds>(
                                                        std::chrono::system_clock::now()));
  }

  // `jit ARGS` as `user`, each with their own profile folder.
  std::tuple<int, std::string, std::string> jit(const std::string& user,
                                                std::vector<std::string> args,
                                                const std::string& stdin_text = {}) {
    args.insert(args.begin(), kJitBinary);
    const auto profile = broker_.dir() / ("jit-" + user);
    return ChildProcess::run(args, broker_.dir(), {"JIT_CONFIG_DIR=" + profile.string()},
                             stdin_text);
  }

  // Signs `user` in with `code`.
  void jit_login(const std::string& user, const std::string& code) {
    auto [status, out, err] = jit(
        user,
        {"--broker", "https://localhost:" + std::to_string(broker_.port()), "--ca-file",
         broker_.ca_file().string(), "login", "--user", user, "--password-stdin", "--totp", code},
        std::string(testing::kTestPassword) + "\n");
    ASSERT_EQ(status, 0) << out << err;
  }

  testing::BrokerProcess broker_;
  std::map<std::string, ca::Bytes> secrets_;
};

TEST_F(JitSameCodeTest, PageLinksAndTheSignInCodeTypedAgainToApprove) {
  jit_login("alice", current_code("alice"));
  const std::string carol_code = current_code("carol");
  jit_login("carol", carol_code);

  auto [request_status, request_out, request_err] =
      jit("alice", {"request", "prod-db-read", "--reason", "slow queries", "--ticket", "OPS-7"});
  ASSERT_EQ(request_status, 0) << request_err;
  ASSERT_EQ(request_out.size(), 37u) << request_out;  // the id alone: id=$(jit request ...)
  const std::string id = request_out.substr(0, 36);
  const std::string page = "https://localhost:8443/#request=" + id;
  EXPECT_NE(request_err.find("\npage: " + page + "\n"), std::string::npos) << request_err;

  auto [status_status, status_out, status_err] = jit("alice", {"status", id});
  EXPECT_EQ(status_status, 0) << status_err;
  EXPECT_NE(status_out.find("\n  page:       " + page + "\n"), std::string::npos) << status_out;

  // carol approves with the code she signed in with: refused as used, exit 1, and how long.
  auto [approve_status, approve_out, approve_err] =
      jit("carol", {"approve", id, "--totp", carol_code, "--yes"});
  EXPECT_EQ(approve_status, 1) << approve_err;
  EXPECT_EQ(approve_out, "");
  const std::string said =
      "jit: that code was already used (e.g. to sign in); enter the next one, in ";
  const auto at = approve_err.find(said);
  ASSERT_NE(at, std::string::npos) << approve_err;
  const auto seconds = std::stoi(approve_err.substr(at + said.size()));
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 30);
  EXPECT_NE(approve_err.find(" s\n", at), std::string::npos) << approve_err;
  EXPECT_EQ(std::get<0>(jit("carol", {"whoami"})), 0);  // still signed in

  // Nothing was approved: the wait shows the link, then gives up on a request still pending.
  auto [wait_status, wait_out, wait_err] =
      jit("alice", {"wait", id, "--timeout", "300ms", "--interval", "100ms"});
  EXPECT_EQ(wait_status, 4) << wait_err;
  EXPECT_TRUE(wait_err.starts_with("page: " + page + "\n" + id + " is pending, approvals 0/2\n"))
      << wait_err;
}

}  // namespace
}  // namespace jit::broker
