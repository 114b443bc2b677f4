// Our certificates as Debian 12's ssh-keygen (OpenSSH 9.2p1) reads them: `ssh-keygen -L` must print
// exactly the fields we asked for, for every CA type and subject type we support.
#include "ca/ssh_certificate_authority.hpp"

#include "support/ssh_test_support.hpp"
#include "tests/support/ssh_process.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <memory>

namespace jit::ca {
namespace {

using testing::run_process;
using testing::TempDir;

std::string utc(std::uint64_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  return text;
}

// How ssh-keygen names key types in -L and -l output.
std::string display_type(SshKeyType type) {
  switch (type) {
    case SshKeyType::ed25519:
      return "ED25519";
    case SshKeyType::rsa:
      return "RSA";
    default:
      return "ECDSA";
  }
}

std::string expected_listing(const std::string& file, const SshCertificate& c) {
  std::string text = file + ":\n";
  text += "        Type: " + std::string(c.type_name()) + " user certificate\n";
  text += "        Public key: " + display_type(c.subject.type()) + "-CERT " +
          c.subject.fingerprint_sha256() + "\n";
  text += "        Signing CA: " + display_type(c.ca_key.type()) + " " +
          c.ca_key.fingerprint_sha256() + " (using " + c.signature_algorithm + ")\n";
  text += "        Key ID: \"" + c.key_id + "\"\n";
  text += "        Serial: " + std::to_string(c.serial) + "\n";
  text += "        Valid: from " + utc(c.valid_after) + " to " + utc(c.valid_before) + "\n";
  text += "        Principals: \n";
  for (const auto& principal : c.principals) text += "                " + principal + "\n";
  if (!c.force_command && !c.source_address) {
    text += "        Critical Options: (none)\n";
  } else {
    text += "        Critical Options: \n";
    if (c.force_command) text += "                force-command " + *c.force_command + "\n";
    if (c.source_address) text += "                source-address " + *c.source_address + "\n";
  }
  if (c.extensions.empty()) {
    text += "        Extensions: (none)\n";
  } else {
    text += "        Extensions: \n";
    for (const auto& extension : c.extensions) text += "                " + extension + "\n";
  }
  return text;
}

class SshKeygenListing : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    testing::ssh_keygen_new_key(dir_->path(), "user_ed25519", {"-t", "ed25519"});
    testing::ssh_keygen_new_key(dir_->path(), "user_ecdsa", {"-t", "ecdsa", "-b", "256"});
    testing::ssh_keygen_new_key(dir_->path(), "user_rsa", {"-t", "rsa", "-b", "3072"});
    testing::ssh_keygen_new_key(dir_->path(), "ca_openssh", {"-t", "ed25519"});
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static SshPublicKey subject(const std::string& name) {
    auto key = SshPublicKey::parse_line(testing::read_text_file(dir_->path() / (name + ".pub")));
    EXPECT_TRUE(key) << name;
    return *key;
  }

  // Issues, writes NAME-cert.pub and checks ssh-keygen -L's full output.
  static void check_listing(const SshCertificateAuthority& ca, const std::string& subject_name,
                            const SshCertificateProfile& profile) {
    auto issued = ca.issue_user_certificate(subject(subject_name), profile);
    ASSERT_TRUE(issued);
    const auto file = dir_->path() / (subject_name + "-cert.pub");
    testing::write_text_file(file, issued->line(subject_name) + "\n");
    const auto listed = run_process({"/usr/bin/ssh-keygen", "-L", "-f", file.string()});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_EQ(listed.out, expected_listing(file.string(), *issued));
  }

  static std::unique_ptr<TempDir> dir_;
};

std::unique_ptr<TempDir> SshKeygenListing::dir_;

SshCertificateAuthority single_key_ca(SshCaKey key) {
  std::vector<SshCaKey> keys;
  keys.push_back(std::move(key));
  return *SshCertificateAuthority::create(std::move(keys));
}

TEST_F(SshKeygenListing, EveryCaAndSubjectTypeListsExactly) {
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  SshCertificateProfile profile = testing::test_profile();
  profile.serial = 9007199254740993;  // above 2^53: no floating point anywhere on the way
  profile.key_id = *make_ssh_key_id("req-81", "alice", "prod-db-read");
  profile.principals = {"dbread", "alice"};
  profile.valid_after = now - std::chrono::seconds(30);
  profile.valid_before = now + std::chrono::minutes(30);
  profile.force_command = "/usr/bin/psql -c 'select 1'";
  profile.source_addresses = {"127.0.0.0/8", "::1"};
  profile.extensions = {"permit-pty", "permit-port-forwarding", "permit-X11-forwarding"};

  SshCertificateProfile bare = testing::test_profile();
  bare.extensions = {};

  for (KeyAlgorithm algorithm : {KeyAlgorithm::ed25519, KeyAlgorithm::ecdsa_p256}) {
    const SshCertificateAuthority ca = single_key_ca(testing::must_generate(algorithm));
    for (const char* name : {"user_ed25519", "user_ecdsa", "user_rsa"}) {
      SCOPED_TRACE(std::string(name) +
                   (algorithm == KeyAlgorithm::ed25519 ? " / Ed25519 CA" : " / P-256 CA"));
      check_listing(ca, name, profile);
      check_listing(ca, name, bare);
    }
  }
}

TEST_F(SshKeygenListing, RsaCaSignsWithRsaSha2_512) {
  auto key = SshCaKey::parse(testing::ssh_test_file("rsa3072_ca.key"), std::nullopt);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->signature_algorithm(), "rsa-sha2-512");
  const SshCertificateAuthority ca = single_key_ca(std::move(*key));
  check_listing(ca, "user_ed25519", testing::test_profile());
  check_listing(ca, "user_rsa", testing::test_profile());
}

TEST_F(SshKeygenListing, CaKeyFromSshKeygenSignsCertificatesItAccepts) {
  auto key = SshCaKey::load_file(dir_->path() / "ca_openssh", std::nullopt);
  ASSERT_TRUE(key) << key.error().message();
  // ssh-keygen -y derives the public key from the private file: it must be the key we derived.
  const auto derived =
      run_process({"/usr/bin/ssh-keygen", "-y", "-f", (dir_->path() / "ca_openssh").string()});
  ASSERT_EQ(derived.exit_code, 0) << derived.err;
  EXPECT_EQ(*SshPublicKey::parse_line(derived.out), key->public_key());
  const SshCertificateAuthority ca = single_key_ca(std::move(*key));
  check_listing(ca, "user_ed25519", testing::test_profile());
}

TEST_F(SshKeygenListing, FingerprintsMatchSshKeygen) {
  for (const char* name : {"user_ed25519", "user_ecdsa", "user_rsa", "ca_openssh"}) {
    const auto pub = dir_->path() / (std::string(name) + ".pub");
    const auto printed =
        run_process({"/usr/bin/ssh-keygen", "-l", "-E", "sha256", "-f", pub.string()});
    ASSERT_EQ(printed.exit_code, 0) << printed.err;
    const SshPublicKey key = subject(name);
    EXPECT_EQ(printed.out, std::to_string(key.bits()) + " " + key.fingerprint_sha256() + " " +
                               name + " (" + display_type(key.type()) + ")\n");
  }
}

TEST_F(SshKeygenListing, CorruptedSignatureIsRefusedBySshKeygenAndByUs) {
  const SshCertificateAuthority ca = single_key_ca(testing::must_generate(KeyAlgorithm::ed25519));
  auto issued = ca.issue_user_certificate(subject("user_ed25519"), testing::test_profile());
  ASSERT_TRUE(issued);
  Bytes blob = issued->blob;
  blob[blob.size() - 5] ^= std::byte{0x01};
  const auto file = dir_->path() / "corrupt-cert.pub";
  testing::write_text_file(file,
                           std::string(issued->type_name()) + " " + base64_encode(blob) + "\n");
  const auto listed = run_process({"/usr/bin/ssh-keygen", "-L", "-f", file.string()});
  EXPECT_NE(listed.exit_code, 0);
  EXPECT_EQ(parse_ssh_certificate_blob(blob).error(), CaErrc::bad_signature);
}

}  // namespace
}  // namespace jit::ca
