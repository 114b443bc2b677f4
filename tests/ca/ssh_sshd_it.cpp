// A real sshd (Debian 12's /usr/sbin/sshd 9.2p1) on 127.0.0.1 trusts our CA and reads our KRL:
// logins with good certificates work, and every kind of bad certificate is refused for the right
// reason.
#include "ca/krl_builder.hpp"
#include "ca/krl_file.hpp"
#include "ca/ssh_certificate_authority.hpp"

#include "support/ssh_test_support.hpp"
#include "tests/support/ssh_process.hpp"

#include <gtest/gtest.h>

#include <pwd.h>
#include <unistd.h>

#include <memory>
#include <thread>

namespace jit::ca {
namespace {

using testing::TempDir;

constexpr const char* kPrincipal = "jit-principal";

std::string current_user() {
  const passwd* entry = ::getpwuid(::geteuid());
  if (entry == nullptr) throw std::runtime_error("no passwd entry for the current user");
  return entry->pw_name;
}

SshCaKey copy_of(const SshCaKey& key) {
  return *SshCaKey::parse(*private_key_to_pem(key.private_key(), std::nullopt), std::nullopt);
}

SshCertificateAuthority authority(std::vector<const SshCaKey*> keys) {
  std::vector<SshCaKey> copies;
  for (const SshCaKey* key : keys) copies.push_back(copy_of(*key));
  return *SshCertificateAuthority::create(std::move(copies));
}

class SshdWithOurCa : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    const auto& d = *dir_;
    // As root, sshd insists on its privilege separation folder (systemd creates it at boot; a
    // container may not have it). Creating the empty root-owned folder is what the package does.
    if (::geteuid() == 0 && !std::filesystem::exists("/run/sshd")) {
      std::filesystem::create_directories("/run/sshd");
      std::filesystem::permissions("/run/sshd", static_cast<std::filesystem::perms>(0755));
    }
    testing::ssh_keygen_new_key(d.path(), "host_key", {"-t", "ed25519"});
    user_key_ = testing::ssh_keygen_new_key(d.path(), "user_key", {"-t", "ed25519"});
    ecdsa_key_ = testing::ssh_keygen_new_key(d.path(), "ecdsa_key", {"-t", "ecdsa", "-b", "256"});
    old_key_ = std::make_unique<SshCaKey>(testing::must_generate(KeyAlgorithm::ecdsa_p256));
    new_key_ = std::make_unique<SshCaKey>(testing::must_generate(KeyAlgorithm::ed25519));
    untrusted_key_ = std::make_unique<SshCaKey>(testing::must_generate(KeyAlgorithm::ed25519));
    const SshCertificateAuthority ca = authority({old_key_.get(), new_key_.get()});
    testing::write_text_file(d / "trusted_ca_keys", ca.trusted_ca_keys_text());
    testing::write_text_file(d / "principals", std::string(kPrincipal) + "\n");
    publish_krl({});
    port_ = testing::free_loopback_port();
    testing::write_text_file(
        d / "sshd_config",
        "ListenAddress 127.0.0.1\n"
        "Port " +
            std::to_string(port_) +
            "\n"
            "HostKey " +
            (d / "host_key").string() +
            "\n"
            "PidFile " +
            (d / "sshd.pid").string() +
            "\n"
            "TrustedUserCAKeys " +
            (d / "trusted_ca_keys").string() +
            "\n"
            "RevokedKeys " +
            (d / "revoked.krl").string() +
            "\n"
            "AuthorizedPrincipalsFile " +
            (d / "principals").string() +
            "\n"
            "AuthorizedKeysFile none\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "PermitRootLogin yes\n"
            // docs/protocols.md 2.6: without PAM, sshd refuses accounts whose password is locked.
            "UsePAM yes\n"
            "StrictModes no\n"
            "UseDNS no\n"
            "PrintMotd no\n"
            "LogLevel VERBOSE\n");
    sshd_ = std::make_unique<testing::SshdGuard>(d / "sshd_config", d / "sshd.log", port_);
  }

  static void TearDownTestSuite() {
    sshd_.reset();  // stops sshd before its folder goes
    old_key_.reset();
    new_key_.reset();
    untrusted_key_.reset();
    dir_.reset();
  }

  // Writes a new KRL with a higher version (sshd re-reads it on every authentication).
  static void publish_krl(const std::vector<std::pair<std::uint64_t, std::string>>& revoked) {
    KrlBuilder builder;
    for (const auto& [serial, key_id] : revoked) {
      EXPECT_TRUE(builder.add(new_key_->public_key(), {serial, key_id, 4000000000}));
    }
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    ASSERT_TRUE(write_krl_file(*dir_ / "revoked.krl", builder.build(++krl_version_, now)->bytes));
  }

  static SshCertificateProfile profile(std::uint64_t serial) {
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    SshCertificateProfile p;
    p.serial = serial;
    p.key_id = *make_ssh_key_id("req-" + std::to_string(serial), current_user(), "it-role");
    p.principals = {kPrincipal};
    p.valid_after = now - std::chrono::seconds(30);
    p.valid_before = now + std::chrono::minutes(5);
    return p;
  }

  struct Attempt {
    testing::ProcessResult ssh;
    std::string log;  // what sshd logged meanwhile
  };

  // Mints a certificate for key with ca, writes KEY-cert.pub and logs in running `command`.
  static Attempt login(const SshCaKey& ca_key, const SshCertificateProfile& p,
                       const std::filesystem::path& key, const std::string& expected_log,
                       const std::string& command = "echo ok") {
    const SshCertificateAuthority ca = authority({&ca_key});
    auto issued = ca.issue_user_certificate(
        *SshPublicKey::parse_line(testing::read_text_file(key.string() + ".pub")), p);
    EXPECT_TRUE(issued);
    testing::write_text_file(key.string() + "-cert.pub", issued->line() + "\n");
    const std::size_t log_start = testing::read_text_file(*dir_ / "sshd.log").size();
    Attempt attempt;
    attempt.ssh =
        testing::ssh_run_with_key(key, static_cast<std::uint16_t>(port_), current_user(), command);
    // The per-connection sshd process may write its last lines just after the client has gone.
    for (int i = 0; i < 100; ++i) {
      attempt.log = testing::read_text_file(*dir_ / "sshd.log").substr(log_start);
      if (attempt.log.find(expected_log) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_NE(attempt.log.find(expected_log), std::string::npos) << "sshd log:\n" << attempt.log;
    return attempt;
  }

  static std::string accepted(const SshCertificateProfile& p, const SshCaKey& ca,
                              const std::string& type) {
    return "Accepted certificate ID \"" + p.key_id + "\" (serial " + std::to_string(p.serial) +
           ") signed by " + type + " CA " + ca.public_key().fingerprint_sha256() + " via " +
           (*dir_ / "trusted_ca_keys").string();
  }

  static std::unique_ptr<TempDir> dir_;
  static std::unique_ptr<testing::SshdGuard> sshd_;
  static std::unique_ptr<SshCaKey> old_key_;
  static std::unique_ptr<SshCaKey> new_key_;
  static std::unique_ptr<SshCaKey> untrusted_key_;
  static std::filesystem::path user_key_;
  static std::filesystem::path ecdsa_key_;
  static std::uint16_t port_;
  static std::uint64_t krl_version_;
};

std::unique_ptr<TempDir> SshdWithOurCa::dir_;
std::unique_ptr<testing::SshdGuard> SshdWithOurCa::sshd_;
std::unique_ptr<SshCaKey> SshdWithOurCa::old_key_;
std::unique_ptr<SshCaKey> SshdWithOurCa::new_key_;
std::unique_ptr<SshCaKey> SshdWithOurCa::untrusted_key_;
std::filesystem::path SshdWithOurCa::user_key_;
std::filesystem::path SshdWithOurCa::ecdsa_key_;
std::uint16_t SshdWithOurCa::port_ = 0;
std::uint64_t SshdWithOurCa::krl_version_ = 0;

TEST_F(SshdWithOurCa, LoginWithOurCertificateRunsACommand) {
  const auto p = profile(1001);
  const auto attempt = login(*new_key_, p, user_key_, accepted(p, *new_key_, "ED25519"));
  EXPECT_EQ(attempt.ssh.exit_code, 0) << attempt.ssh.err;
  EXPECT_EQ(attempt.ssh.out, "ok\n");
}

TEST_F(SshdWithOurCa, OlderPublishedCaKeyStillWorksForAnEcdsaSubject) {
  const auto p = profile(1002);
  const auto attempt = login(*old_key_, p, ecdsa_key_, accepted(p, *old_key_, "ECDSA"));
  EXPECT_EQ(attempt.ssh.exit_code, 0) << attempt.ssh.err;
  EXPECT_EQ(attempt.ssh.out, "ok\n");
}

TEST_F(SshdWithOurCa, ForceCommandReplacesTheRequestedCommand) {
  auto p = profile(1003);
  p.force_command = "echo forced";
  const auto attempt = login(*new_key_, p, user_key_, accepted(p, *new_key_, "ED25519"));
  EXPECT_EQ(attempt.ssh.exit_code, 0) << attempt.ssh.err;
  EXPECT_EQ(attempt.ssh.out, "forced\n");
}

TEST_F(SshdWithOurCa, ExpiredCertificateIsRefused) {
  auto p = profile(1004);
  p.valid_after -= std::chrono::hours(2);
  p.valid_before = p.valid_after + std::chrono::hours(1);
  const auto attempt = login(*new_key_, p, user_key_, "Certificate invalid: expired");
  EXPECT_EQ(attempt.ssh.exit_code, 255);
  EXPECT_EQ(attempt.ssh.out, "");
}

TEST_F(SshdWithOurCa, WrongPrincipalIsRefused) {
  auto p = profile(1005);
  p.principals = {"someone-else"};
  const auto attempt =
      login(*new_key_, p, user_key_, "Certificate does not contain an authorized principal");
  EXPECT_EQ(attempt.ssh.exit_code, 255);
  EXPECT_EQ(attempt.ssh.out, "");
}

TEST_F(SshdWithOurCa, UntrustedCaIsRefused) {
  const auto p = profile(1006);
  const auto subject =
      SshPublicKey::parse_line(testing::read_text_file(user_key_.string() + ".pub"));
  // sshd names the rejected certificate and its (untrusted) CA in the failure line.
  const auto attempt =
      login(*untrusted_key_, p, user_key_,
            "ED25519-CERT " + subject->fingerprint_sha256() + " ID " + p.key_id +
                " (serial 1006) CA ED25519 " + untrusted_key_->public_key().fingerprint_sha256());
  EXPECT_EQ(attempt.ssh.exit_code, 255);
  EXPECT_EQ(attempt.log.find("Accepted certificate"), std::string::npos) << attempt.log;
}

TEST_F(SshdWithOurCa, SourceAddressIsEnforced) {
  auto p = profile(1007);
  p.source_addresses = {"10.0.0.0/8"};
  const auto attempt = login(*new_key_, p, user_key_, "Refused by certificate options");
  EXPECT_EQ(attempt.ssh.exit_code, 255);
}

TEST_F(SshdWithOurCa, CertificatesInOurKrlAreRefusedBySerialAndByKeyId) {
  const auto by_serial = profile(2001);
  auto by_key_id = profile(2002);
  by_key_id.key_id = "jit:req-revoked:" + current_user() + ":it-role";
  publish_krl({{2001, ""}, {0, by_key_id.key_id}});
  const auto first =
      login(*new_key_, by_serial, user_key_, "revoked by file " + (*dir_ / "revoked.krl").string());
  EXPECT_EQ(first.ssh.exit_code, 255);
  const auto second =
      login(*new_key_, by_key_id, user_key_, "revoked by file " + (*dir_ / "revoked.krl").string());
  EXPECT_EQ(second.ssh.exit_code, 255);
  // A serial next to a revoked one is not caught, and once the KRL no longer lists 2001 it works
  // again.
  const auto neighbour =
      login(*new_key_, profile(2003), user_key_, accepted(profile(2003), *new_key_, "ED25519"));
  EXPECT_EQ(neighbour.ssh.exit_code, 0) << neighbour.ssh.err;
  publish_krl({});
  const auto again =
      login(*new_key_, by_serial, user_key_, accepted(by_serial, *new_key_, "ED25519"));
  EXPECT_EQ(again.ssh.exit_code, 0) << again.ssh.err;
}

TEST_F(SshdWithOurCa, UnreadableKrlLocksEveryoneOutWhichIsWhyWeNeverPublishOne) {
  Bytes broken =
      KrlBuilder{}.build(++krl_version_, std::chrono::sys_seconds{std::chrono::seconds{1}})->bytes;
  broken.push_back(std::byte{0xFF});  // an unknown section type with no length
  EXPECT_EQ(write_krl_file(*dir_ / "revoked.krl", broken).error(), CaErrc::malformed);
  // Bypass our writer to show what sshd would do with such a file.
  testing::write_text_file(*dir_ / "revoked.krl", std::string(as_chars(broken)));
  const auto attempt =
      login(*new_key_, profile(3001), user_key_, "Error checking authentication key");
  EXPECT_EQ(attempt.ssh.exit_code, 255);
  publish_krl({});
}

}  // namespace
}  // namespace jit::ca
