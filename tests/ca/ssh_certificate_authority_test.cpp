#include "ca/ssh_certificate_authority.hpp"

#include "support/ssh_test_support.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <sstream>
#include <thread>

namespace jit::ca {
namespace {

using testing::must_generate;
using testing::ssh_test_file;
using testing::test_profile;

SshPublicKey user_key() { return *SshPublicKey::parse_line(ssh_test_file("ed25519_user.pub")); }

TEST(SshCertificateAuthority, NewestKeySignsAndAllArePublished) {
  std::vector<SshCaKey> keys;
  keys.push_back(must_generate(KeyAlgorithm::ecdsa_p256));  // older
  keys.push_back(must_generate(KeyAlgorithm::ed25519));     // newest
  const SshPublicKey older = keys[0].public_key();
  const SshPublicKey newest = keys[1].public_key();
  auto ca = SshCertificateAuthority::create(std::move(keys));
  ASSERT_TRUE(ca);
  EXPECT_EQ(ca->signing_key().public_key(), newest);
  EXPECT_TRUE(ca->is_trusted(older));
  EXPECT_TRUE(ca->is_trusted(newest));
  EXPECT_FALSE(ca->is_trusted(user_key()));

  auto issued = ca->issue_user_certificate(user_key(), test_profile());
  ASSERT_TRUE(issued);
  EXPECT_EQ(issued->ca_key, newest);
  EXPECT_EQ(issued->signature_algorithm, "ssh-ed25519");

  // TrustedUserCAKeys content: comments allowed; every key line parses back, newest first.
  std::istringstream text(ca->trusted_ca_keys_text());
  std::string line;
  std::vector<SshPublicKey> published;
  while (std::getline(text, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto key = SshPublicKey::parse_line(line);
    ASSERT_TRUE(key) << line;
    EXPECT_NE(key->comment().find(key->fingerprint_sha256()), std::string::npos);
    published.push_back(*key);
  }
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(published[0], newest);
  EXPECT_EQ(published[1], older);
}

TEST(SshCertificateAuthority, RefusesNoKeysAndDuplicates) {
  EXPECT_EQ(SshCertificateAuthority::create({}).error(), CaErrc::invalid_argument);
  const std::string pem =
      *private_key_to_pem(must_generate(KeyAlgorithm::ed25519).private_key(), std::nullopt);
  std::vector<SshCaKey> twice;
  twice.push_back(*SshCaKey::parse(pem, std::nullopt));
  twice.push_back(*SshCaKey::parse(pem, std::nullopt));
  EXPECT_EQ(SshCertificateAuthority::create(std::move(twice)).error(), CaErrc::invalid_argument);
}

TEST(SshCertificateAuthority, InvalidProfileIsRefusedBeforeSigning) {
  std::vector<SshCaKey> keys;
  keys.push_back(must_generate(KeyAlgorithm::ed25519));
  auto ca = SshCertificateAuthority::create(std::move(keys));
  SshCertificateProfile profile = test_profile();
  profile.principals = {"a,b"};
  EXPECT_EQ(ca->issue_user_certificate(user_key(), profile).error(), CaErrc::invalid_argument);
}

TEST(SshCertificateAuthority, NoncesAreFreshPerCertificate) {
  std::vector<SshCaKey> keys;
  keys.push_back(must_generate(KeyAlgorithm::ed25519));
  auto ca = SshCertificateAuthority::create(std::move(keys));
  auto a = ca->issue_user_certificate(user_key(), test_profile());
  auto b = ca->issue_user_certificate(user_key(), test_profile());
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->nonce, b->nonce);
  EXPECT_NE(a->blob, b->blob);
}

// Nonces are drawn from a per-thread buffer; a forked child must not reuse what its parent will
// use.
TEST(SshCertificateAuthority, ForkedChildDoesNotRepeatTheParentsNonces) {
  std::vector<SshCaKey> keys;
  keys.push_back(must_generate(KeyAlgorithm::ed25519));
  auto ca = SshCertificateAuthority::create(std::move(keys));
  ASSERT_TRUE(
      ca->issue_user_certificate(user_key(), test_profile()));  // fills this thread's buffer
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto issued = ca->issue_user_certificate(user_key(), test_profile());
    const bool ok = issued && ::write(fds[1], issued->nonce.data(), issued->nonce.size()) == 32;
    ::_exit(ok ? 0 : 1);
  }
  ::close(fds[1]);
  Bytes child_nonce(32);
  ASSERT_EQ(::read(fds[0], child_nonce.data(), child_nonce.size()), 32);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto parent = ca->issue_user_certificate(user_key(), test_profile());
  ASSERT_TRUE(parent);
  EXPECT_NE(parent->nonce, child_nonce);
}

// One CA object shared by several threads, as the broker uses it.
TEST(SshCertificateAuthority, IssuesFromSeveralThreadsAtOnce) {
  for (KeyAlgorithm algorithm : {KeyAlgorithm::ed25519, KeyAlgorithm::ecdsa_p256}) {
    std::vector<SshCaKey> keys;
    keys.push_back(must_generate(algorithm));
    const auto ca = SshCertificateAuthority::create(std::move(keys));
    ASSERT_TRUE(ca);
    const SshPublicKey subject = user_key();
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 100; ++i) {
          SshCertificateProfile profile = test_profile();
          profile.serial = static_cast<std::uint64_t>(t * 1000 + i + 1);
          auto issued = ca->issue_user_certificate(subject, profile);
          if (!issued) continue;
          auto parsed = parse_ssh_certificate_blob(issued->blob);
          if (parsed && parsed->serial == profile.serial) ++good;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(good.load(), 400);
  }
}

}  // namespace
}  // namespace jit::ca
