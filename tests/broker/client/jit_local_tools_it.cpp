// What `jit` makes locally, checked by the real tools that consume it: OpenSSH reads our private
// key file (`ssh-keygen -y`, `ssh-keygen -l`), OpenSSL verifies our CSR (`openssl req -verify`),
// and ssh-agent drops a key added through add_key_to_agent when its lifetime ends.
#include "broker/client/client_csr.hpp"
#include "broker/client/credential_files.hpp"
#include "broker/client/openssh_key_writer.hpp"
#include "broker/client/ssh_agent.hpp"
#include "ca/atomic_file.hpp"
#include "ca/bytes.hpp"
#include "ca/ssh_public_key.hpp"
#include "support/ssh_agent_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using jit::testing::ChildProcess;
using jit::testing::TempDir;
using namespace std::chrono_literals;

// Writes a new Ed25519 key as `jit ssh-cert` does; returns its public key.
ca::SshPublicKey write_key(const std::filesystem::path& file, const std::string& comment) {
  auto key = ca::generate_private_key(ca::KeyAlgorithm::ed25519);
  EXPECT_TRUE(key);
  auto text = openssh_ed25519_private_key_text(key->get(), comment);
  EXPECT_TRUE(text);
  EXPECT_TRUE(ca::write_file_atomically(file, ca::as_bytes(*text), 0600));
  return *ca::SshPublicKey::from_evp(key->get());
}

TEST(JitLocalTools, SshKeygenReadsOurPrivateKeyFile) {
  TempDir dir;
  for (int i = 0; i < 5; ++i) {  // fresh keys and check ints each round
    const auto file = dir / ("jit-key-" + std::to_string(i));
    const auto public_key = write_key(file, "jit-grt-" + std::to_string(i));
    auto [code, out, err] =
        ChildProcess::run({"/usr/bin/ssh-keygen", "-y", "-f", file.string()}, dir.path());
    ASSERT_EQ(code, 0) << err;
    // ssh-keygen derives the public key from the private part and prints it with the comment.
    EXPECT_EQ(out, public_key.line() + " jit-grt-" + std::to_string(i) + "\n");
    auto [l_code, l_out, l_err] =
        ChildProcess::run({"/usr/bin/ssh-keygen", "-l", "-f", file.string()}, dir.path());
    ASSERT_EQ(l_code, 0) << l_err;
    EXPECT_EQ(l_out, "256 " + public_key.fingerprint_sha256() + " jit-grt-" + std::to_string(i) +
                         " (ED25519)\n");
  }
}

TEST(JitLocalTools, SshKeygenRefusesACorruptedKeyFile) {
  TempDir dir;
  auto key = ca::generate_private_key(ca::KeyAlgorithm::ed25519);
  std::string text = *openssh_ed25519_private_key_text(key->get(), "c");
  // Flip one base64 character inside the private section: the check ints or key no longer agree.
  text[text.size() / 2] = text[text.size() / 2] == 'A' ? 'B' : 'A';
  ASSERT_TRUE(ca::write_file_atomically(dir / "bad", ca::as_bytes(text), 0600));
  auto [code, out, err] =
      ChildProcess::run({"/usr/bin/ssh-keygen", "-y", "-f", (dir / "bad").string()}, dir.path());
  EXPECT_NE(code, 0) << out;
}

TEST(JitLocalTools, OpensslVerifiesOurCsrAndReadsTheUser) {
  TempDir dir;
  auto key = ca::generate_private_key(ca::KeyAlgorithm::ecdsa_p256);
  const auto pem = make_client_csr_pem(key->get(), "alice");
  ASSERT_TRUE(pem);
  ASSERT_TRUE(ca::write_file_atomically(dir / "req.pem", ca::as_bytes(*pem), 0644));
  auto [code, out, err] = ChildProcess::run({"/usr/bin/openssl", "req", "-verify", "-noout",
                                             "-subject", "-in", (dir / "req.pem").string()},
                                            dir.path());
  ASSERT_EQ(code, 0) << err;
  EXPECT_NE((out + err).find("verify OK"), std::string::npos) << out << err;
  EXPECT_NE(out.find("subject=CN = alice"), std::string::npos) << out;
  // No extension or SAN request: the broker decides those from policy.
  auto [t_code, t_out, t_err] = ChildProcess::run(
      {"/usr/bin/openssl", "req", "-noout", "-text", "-in", (dir / "req.pem").string()},
      dir.path());
  ASSERT_EQ(t_code, 0) << t_err;
  EXPECT_NE(t_out.find("ASN1 OID: prime256v1"), std::string::npos) << t_out;
  EXPECT_NE(t_out.find("Attributes:\n            (none)"), std::string::npos) << t_out;
}

TEST(JitLocalTools, RunProgramKeepsOurStdoutCleanAndReportsExitCodes) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const auto echoed = run_program({"echo", "from-the-child"});
  const std::string out = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(echoed, 0);
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "from-the-child\n");
  EXPECT_EQ(run_program({"false"}), 1);
  EXPECT_EQ(run_program({"sh", "-c", "kill -TERM $$"}), 128 + SIGTERM);
  EXPECT_EQ(run_program({"jit-no-such-program-here"}), std::nullopt);
  EXPECT_EQ(run_program({}), std::nullopt);
  // Arguments are passed as they are, never through a shell.
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_program({"echo", "$HOME;", "`id`"}), 0);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "$HOME; `id`\n");
}

TEST(JitLocalTools, SshAgentDropsTheKeyWhenItsLifetimeEnds) {
  TempDir dir;
  jit::testing::SshAgentProcess agent(dir.path());
  ASSERT_TRUE(agent.running());
  std::optional<jit::testing::ScopedEnv> agent_env;
  agent_env.emplace("SSH_AUTH_SOCK", agent.socket().string());
  const auto file = dir / "jit-key";
  const auto public_key = write_key(file, "jit-lifetime");
  const auto added_at = std::chrono::steady_clock::now();
  const auto added = add_key_to_agent(file, 2s);
  EXPECT_EQ(added, 0);
  auto [code, listing] = agent.list(dir.path());
  EXPECT_EQ(code, 0) << listing;
  EXPECT_EQ(listing, "256 " + public_key.fingerprint_sha256() + " jit-lifetime (ED25519)\n");
  std::optional<std::chrono::steady_clock::duration> gone_after;
  while (std::chrono::steady_clock::now() - added_at < 6s) {
    std::tie(code, listing) = agent.list(dir.path());
    if (code == 1 && listing.find("no identities") != std::string::npos) {
      gone_after = std::chrono::steady_clock::now() - added_at;
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  // ssh-agent counts the deadline on a whole-second monotonic clock, so a 2 s lifetime ends after
  // between 1 and 2 s; a wrong lifetime (none, or the certificate's hour) would never end here.
  ASSERT_TRUE(gone_after) << "still in the agent: " << listing;
  EXPECT_GE(*gone_after, 1s);
  EXPECT_LE(*gone_after, 3500ms);
  // No agent at the socket: ssh-add fails and says so through its exit code.
  agent_env.reset();
  const jit::testing::ScopedEnv no_agent("SSH_AUTH_SOCK", (dir / "nothing.sock").string());
  const auto failed = add_key_to_agent(file, 2s);
  ASSERT_TRUE(failed.has_value());
  EXPECT_NE(*failed, 0);
}

}  // namespace
}  // namespace jit::broker
