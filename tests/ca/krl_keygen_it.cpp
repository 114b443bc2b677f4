// Our KRLs as Debian 12's ssh-keygen reads them (-Q), and ssh-keygen's KRLs (-k) as our reader
// reads them.
#include "ca/krl.hpp"
#include "ca/krl_builder.hpp"
#include "ca/krl_file.hpp"
#include "ca/ssh_certificate_authority.hpp"

#include "support/ssh_test_support.hpp"
#include "tests/support/ssh_process.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <sstream>

namespace jit::ca {
namespace {

using testing::run_process;
using testing::TempDir;

constexpr const char* kKeygen = "/usr/bin/ssh-keygen";

SshCertificateAuthority single_key_ca(KeyAlgorithm algorithm) {
  std::vector<SshCaKey> keys;
  keys.push_back(testing::must_generate(algorithm));
  return *SshCertificateAuthority::create(std::move(keys));
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  std::string row;
  while (std::getline(in, row)) {
    if (row == line) return true;
  }
  return false;
}

class KrlWithSshKeygen : public ::testing::Test {
 protected:
  void SetUp() override {
    user_path_ = testing::ssh_keygen_new_key(dir_.path(), "user", {"-t", "ed25519"});
    user_ = *SshPublicKey::parse_line(testing::read_text_file(dir_ / "user.pub"));
  }

  std::filesystem::path write_cert(const SshCertificateAuthority& ca, const std::string& name,
                                   std::uint64_t serial, const std::string& key_id) {
    SshCertificateProfile profile = testing::test_profile();
    profile.serial = serial;
    profile.key_id = key_id;
    const auto path = dir_ / (name + "-cert.pub");
    testing::write_text_file(path, ca.issue_user_certificate(*user_, profile)->line(name) + "\n");
    return path;
  }

  std::filesystem::path write_ca_pub(const SshCertificateAuthority& ca, const std::string& name) {
    const auto path = dir_ / name;
    testing::write_text_file(path, ca.signing_key().public_key().line() + "\n");
    return path;
  }

  TempDir dir_;
  std::filesystem::path user_path_;
  std::optional<SshPublicKey> user_;
};

TEST_F(KrlWithSshKeygen, QueryReportsRevokedAndNotRevoked) {
  const SshCertificateAuthority ca = single_key_ca(KeyAlgorithm::ed25519);
  const SshCertificateAuthority other_ca = single_key_ca(KeyAlgorithm::ecdsa_p256);
  const auto by_serial = write_cert(ca, "by-serial", 42, "jit:r1:alice:db");
  const auto by_key_id = write_cert(ca, "by-key-id", 43, "jit:r2:bob:db");
  const auto in_range = write_cert(ca, "in-range", 150, "jit:r3:carol:db");
  const auto fine = write_cert(ca, "fine", 44, "jit:r4:dave:db");
  const auto other = write_cert(other_ca, "other-ca", 42, "jit:r2:bob:db");

  KrlBuilder builder;
  const std::uint64_t later = 4000000000;
  ASSERT_TRUE(builder.add(ca.signing_key().public_key(), {42, "", later}));
  ASSERT_TRUE(builder.add(ca.signing_key().public_key(), {0, "jit:r2:bob:db", later}));
  for (std::uint64_t s = 100; s <= 200; ++s)
    ASSERT_TRUE(builder.add(ca.signing_key().public_key(), {s, "", later}));
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  auto built = builder.build(5, now, "jitbroker test");
  ASSERT_TRUE(built);
  const auto krl = dir_ / "revoked.krl";
  ASSERT_TRUE(write_krl_file(krl, built->bytes));

  const auto query =
      run_process({kKeygen, "-Q", "-f", krl.string(), by_serial.string(), by_key_id.string(),
                   in_range.string(), fine.string(), other.string(), (dir_ / "user.pub").string()});
  EXPECT_EQ(query.exit_code, 1) << query.err;  // 1: at least one key is revoked
  EXPECT_TRUE(has_line(query.out, by_serial.string() + " (by-serial): REVOKED")) << query.out;
  EXPECT_TRUE(has_line(query.out, by_key_id.string() + " (by-key-id): REVOKED")) << query.out;
  EXPECT_TRUE(has_line(query.out, in_range.string() + " (in-range): REVOKED")) << query.out;
  EXPECT_TRUE(has_line(query.out, fine.string() + " (fine): ok")) << query.out;
  EXPECT_TRUE(has_line(query.out, other.string() + " (other-ca): ok")) << query.out;
  EXPECT_TRUE(has_line(query.out, (dir_ / "user.pub").string() + " (user): ok")) << query.out;

  const auto clean = run_process({kKeygen, "-Q", "-f", krl.string(), fine.string()});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;

  const auto dump = run_process({kKeygen, "-Q", "-l", "-f", krl.string()});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_TRUE(has_line(dump.out, "# KRL version 5")) << dump.out;
  EXPECT_TRUE(has_line(dump.out, "# Comment: jitbroker test")) << dump.out;
  EXPECT_TRUE(has_line(dump.out, "serial: 42")) << dump.out;
  EXPECT_TRUE(has_line(dump.out, "serial: 100-200")) << dump.out;
  EXPECT_TRUE(has_line(dump.out, "id: jit:r2:bob:db")) << dump.out;

  // Our own query agrees with ssh-keygen on every certificate.
  auto parsed = read_krl_file(krl);
  ASSERT_TRUE(parsed);
  for (const auto& [path, revoked] :
       {std::pair{by_serial, true}, std::pair{by_key_id, true}, std::pair{in_range, true},
        std::pair{fine, false}, std::pair{other, false}}) {
    auto certificate = parse_ssh_certificate_line(testing::read_text_file(path));
    ASSERT_TRUE(certificate);
    EXPECT_EQ(is_revoked(*parsed, *certificate), revoked) << path;
  }
}

TEST_F(KrlWithSshKeygen, AnnotatedExampleIsByteIdenticalToSshKeygens) {
  const SshCertificateAuthority ca = single_key_ca(KeyAlgorithm::ed25519);
  const auto ca_pub = write_ca_pub(ca, "ca.pub");
  const auto spec = dir_ / "spec";
  testing::write_text_file(spec, "serial: 42\nid: alice@jit\n");
  const auto reference = dir_ / "reference.krl";
  const auto made = run_process({kKeygen, "-q", "-k", "-f", reference.string(), "-s",
                                 ca_pub.string(), "-z", "7", spec.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string theirs = testing::read_text_file(reference);
  auto parsed = parse_krl(as_bytes(theirs));
  ASSERT_TRUE(parsed);

  KrlBuilder builder;
  ASSERT_TRUE(builder.add(ca.signing_key().public_key(), {42, "", 4000000000}));
  ASSERT_TRUE(builder.add(ca.signing_key().public_key(), {0, "alice@jit", 4000000000}));
  const std::chrono::sys_seconds generated{
      std::chrono::seconds(static_cast<std::int64_t>(parsed->generated_date))};
  auto ours = builder.build(7, generated);
  ASSERT_TRUE(ours);
  EXPECT_EQ(hex_encode(ours->bytes), hex_encode(as_bytes(theirs)));
}

TEST_F(KrlWithSshKeygen, ReadsEverySectionSshKeygenWrites) {
  const SshCertificateAuthority ca = single_key_ca(KeyAlgorithm::ed25519);
  const auto ca_pub = write_ca_pub(ca, "ca.pub");
  testing::ssh_keygen_new_key(dir_.path(), "hashed", {"-t", "ecdsa"});
  const SshPublicKey hashed =
      *SshPublicKey::parse_line(testing::read_text_file(dir_ / "hashed.pub"));
  std::string spec = "serial: 7\nserial: 100-200\nid: jit:r9:erin:db\nid: alice@jit\n";
  for (int s = 1000; s <= 1100; s += 2) spec += "serial: " + std::to_string(s) + "\n";
  for (int s = 5000; s <= 9000; s += 1000) spec += "serial: " + std::to_string(s) + "\n";
  spec += "key: " + user_->line() + "\n";
  spec += "hash: " + hashed.fingerprint_sha256() + "\n";
  testing::write_text_file(dir_ / "spec", spec);
  const auto krl = dir_ / "keygen.krl";
  const auto made = run_process({kKeygen, "-q", "-k", "-f", krl.string(), "-s", ca_pub.string(),
                                 "-z", "31", (dir_ / "spec").string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;

  auto parsed = read_krl_file(krl);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->version, 31u);
  ASSERT_EQ(parsed->certificate_scopes.size(), 1u);
  std::vector<KrlSerialRange> expected{{7, 7}, {100, 200}};
  for (std::uint64_t s = 1000; s <= 1100; s += 2) expected.push_back({s, s});
  for (std::uint64_t s = 5000; s <= 9000; s += 1000) expected.push_back({s, s});
  EXPECT_EQ(parsed->certificate_scopes[0].serials, expected);
  EXPECT_EQ(parsed->certificate_scopes[0].key_ids,
            (std::vector<std::string>{"alice@jit", "jit:r9:erin:db"}));
  EXPECT_TRUE(is_key_revoked(*parsed, *user_));
  EXPECT_TRUE(is_key_revoked(*parsed, hashed));
  EXPECT_FALSE(is_key_revoked(*parsed, ca.signing_key().public_key()));
}

TEST_F(KrlWithSshKeygen, DenseSerialsStayReadableBySshKeygen) {
  const SshCertificateAuthority ca = single_key_ca(KeyAlgorithm::ed25519);
  KrlBuilder builder;
  std::string spec;
  for (std::uint64_t s = 1; s <= 40001; s += 2) {
    ASSERT_TRUE(builder.add(ca.signing_key().public_key(), {s, "", 4000000000}));
    spec += "serial: " + std::to_string(s) + "\n";
  }
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto krl = dir_ / "dense.krl";
  ASSERT_TRUE(write_krl_file(krl, builder.build(1, now)->bytes));
  const auto dump = run_process({kKeygen, "-Q", "-l", "-f", krl.string()});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_TRUE(has_line(dump.out, "serial: 1"));
  EXPECT_TRUE(has_line(dump.out, "serial: 40001"));
  EXPECT_FALSE(has_line(dump.out, "serial: 40000"));

  // For contrast: ssh-keygen 9.2 packs these into one 5,000-byte bitmap that it cannot read back.
  const auto ca_pub = write_ca_pub(ca, "ca.pub");
  testing::write_text_file(dir_ / "spec", spec);
  const auto theirs = dir_ / "theirs.krl";
  ASSERT_EQ(run_process({kKeygen, "-q", "-k", "-f", theirs.string(), "-s", ca_pub.string(),
                         (dir_ / "spec").string()})
                .exit_code,
            0);
  const auto their_dump = run_process({kKeygen, "-Q", "-l", "-f", theirs.string()});
  std::cout << "[ info ] ssh-keygen reading its own dense KRL: exit " << their_dump.exit_code
            << ", " << their_dump.err;
  EXPECT_EQ(parse_krl(as_bytes(testing::read_text_file(theirs))).has_value(),
            their_dump.exit_code == 0);
}

}  // namespace
}  // namespace jit::ca
