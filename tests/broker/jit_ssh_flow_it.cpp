// `jit ssh` end to end (issue 21): from no grant and no key to a command run on a real sshd in one
// command, the approvers approving through the API meanwhile
// (tests/broker/access_flow_fixture.hpp).
#include "tests/broker/access_flow_fixture.hpp"

namespace jit::broker::access_flow_testing {
namespace {
// Issue 21: `jit ssh` from nothing (no grant, no key) to a command run on a real sshd, in one
// command; the approvers approve through the API while it waits.
TEST_F(AccessFlowTest, JitSshRequestsWaitsMintsAndRunsTheCommandInOneGo) {
  for (const char* user : {"carol", "dave"}) login(user);
  jit_login("alice");
  start_sshd();
  const auto keys = dir_ / "alice-keys";
  // The host's account accepts the role's principal `dbread` (AuthorizedPrincipalsFile), so the
  // role is named: no role logs in as the test's own user.
  const std::vector<std::string> ssh_args = {kJitBinary,
                                             "ssh",
                                             "--role",
                                             "prod-db-read",
                                             "--reason",
                                             "check replica lag",
                                             "--ticket",
                                             "OPS-3",
                                             "--dir",
                                             keys.string(),
                                             current_user() + "@127.0.0.1",
                                             "-p",
                                             std::to_string(sshd_port_),
                                             "-o",
                                             "StrictHostKeyChecking=no",
                                             "-o",
                                             "UserKnownHostsFile=/dev/null",
                                             "-o",
                                             "BatchMode=yes",
                                             "-o",
                                             "LogLevel=ERROR",
                                             "--",
                                             "echo",
                                             "ran-as-$(id -un)"};
  const std::vector<std::string> env = {"JIT_CONFIG_DIR=" + (dir_ / "jit-alice").string()};
  ChildProcess first(ssh_args, dir_, env);
  std::string id;
  for (int i = 0; i < 200 && id.empty(); ++i) {
    const auto pending = get("/v1/requests?state=pending", "carol").at("requests").as_array();
    if (!pending.empty()) {
      id = std::string(pending[0].at("id").as_string());
    } else {
      std::this_thread::sleep_for(100ms);
    }
  }
  ASSERT_FALSE(id.empty()) << first.err();
  for (const char* approver : {"carol", "dave"}) {
    post("/v1/requests/" + id + "/approve", approver, {{"mfa", {{"totp", code(approver)}}}}, 200);
  }
  ASSERT_EQ(first.wait(60s), 0) << first.err() << read_text(dir_ / "sshd.log");
  EXPECT_EQ(first.out(), "ran-as-" + current_user() + "\n");
  EXPECT_NE(first.err().find("waiting for approval"), std::string::npos) << first.err();

  // Again: the active grant and its certificate are reused, nothing new is asked for.
  auto [again_code, again_out, again_err] = ChildProcess::run(ssh_args, dir_, env);
  EXPECT_EQ(again_code, 0) << again_err;
  EXPECT_EQ(again_out, "ran-as-" + current_user() + "\n");
  EXPECT_NE(again_err.find("using your active grant"), std::string::npos) << again_err;
  EXPECT_NE(again_err.find("using the certificate in"), std::string::npos) << again_err;
  EXPECT_EQ(get("/v1/requests", "carol").at("requests").as_array().size(), 1u);  // no second
}

}  // namespace
}  // namespace jit::broker::access_flow_testing
