// The `jit` binary's command line (docs/architecture.md, "jit"): a usage error is one line on
// stderr and exit 1, --help is still help and exit 0, and the global options --broker and
// --ca-file work before or after the subcommand.
#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace jit::broker {
namespace {

using jit::testing::ChildProcess;
using jit::testing::kJitBinary;

class JitArgsTest : public ::testing::Test {
 protected:
  std::tuple<int, std::string, std::string> jit(std::vector<std::string> args,
                                                const std::string& stdin_text = {}) {
    args.insert(args.begin(), kJitBinary);
    return ChildProcess::run(args, dir_.path(), {"JIT_CONFIG_DIR=" + (dir_ / "cfg").string()},
                             stdin_text);
  }
  testing::TempDir dir_;
};

TEST_F(JitArgsTest, UsageErrorsAreOneLineAndExitOne) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},                                      // no subcommand
           {"fly"},                                 // unknown subcommand
           {"request"},                             // missing role
           {"request", "prod-db-read", "--bogus"},  // unknown option
           {"wait", "req-x", "--timeout", "soon"},  // bad duration
           {"passkeys"},                            // missing nested subcommand
       }) {
    auto [code, out, err] = jit(args);
    std::string shown;
    for (const auto& arg : args) shown += arg + " ";
    EXPECT_EQ(code, 1) << shown << err;
    EXPECT_EQ(out, "") << shown;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << shown << err;
    EXPECT_TRUE(err.starts_with("jit: ")) << shown << err;
    EXPECT_NE(err.find("--help`)"), std::string::npos) << shown << err;
  }
  auto [code, out, err] = jit({"request"});
  EXPECT_NE(err.find("(see `jit request --help`)"), std::string::npos) << err;
}

TEST_F(JitArgsTest, HelpStillPrintsHelpAndExitsZero) {
  auto [code, out, err] = jit({"ssh", "--help"});
  EXPECT_EQ(code, 0) << err;
  EXPECT_NE(out.find("--ssh-option"), std::string::npos) << out;
}

TEST_F(JitArgsTest, GlobalOptionsWorkBeforeOrAfterTheSubcommand) {
  // A plain-http URL is refused before anything is sent: the message proves --broker was read.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--broker", "http://127.0.0.1:9", "login", "--user", "alice", "--password-stdin",
            "--totp", "123456"},
           {"login", "--user", "alice", "--password-stdin", "--totp", "123456", "--broker",
            "http://127.0.0.1:9"},
           {"login", "--broker", "http://127.0.0.1:9", "--ca-file", "/nonexistent", "--user",
            "alice", "--password-stdin", "--totp", "123456"},
       }) {
    auto [code, out, err] = jit(args, "password-not-sent\n");
    EXPECT_EQ(code, 1) << err;
    EXPECT_EQ(err, "jit: the broker URL must be https://\n");
  }
}

}  // namespace
}  // namespace jit::broker
