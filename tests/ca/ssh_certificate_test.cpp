#include "ca/ssh_certificate.hpp"

#include "ca/openssh_private_key.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/ssh_signature.hpp"
#include "support/ssh_test_support.hpp"

#include <gtest/gtest.h>

#include <set>

namespace jit::ca {
namespace {

using testing::kTestNow;
using testing::ssh_test_file;
using testing::test_profile;

SshCertificateAuthority authority_with(SshCaKey key) {
  std::vector<SshCaKey> keys;
  keys.push_back(std::move(key));
  return *SshCertificateAuthority::create(std::move(keys));
}

SshCaKey ca_key_from_file(const std::string& name) {
  return *SshCaKey::parse(ssh_test_file(name), std::nullopt);
}

SshPublicKey subject_from_file(const std::string& name) {
  return *SshPublicKey::parse_line(ssh_test_file(name));
}

struct Combination {
  const char* ca_file;
  const char* subject_file;
};

class SshCertificateRoundTrip : public ::testing::TestWithParam<Combination> {};

TEST_P(SshCertificateRoundTrip, IssuedCertificateParsesBackWithEveryField) {
  const auto [ca_file, subject_file] = GetParam();
  const SshCertificateAuthority ca = authority_with(ca_key_from_file(ca_file));
  const SshPublicKey subject = subject_from_file(subject_file);
  SshCertificateProfile profile = test_profile();
  profile.principals = {"dbread", "alice"};
  profile.force_command = "/bin/true";
  profile.source_addresses = {"127.0.0.0/8", "::1"};
  profile.extensions = {"permit-pty", "permit-X11-forwarding", "permit-agent-forwarding"};
  auto issued = ca.issue_user_certificate(subject, profile);
  ASSERT_TRUE(issued) << issued.error().message();

  const std::string line = issued->line("alice@laptop");
  EXPECT_EQ(line.substr(0, line.find(' ')), ssh_certificate_type_name(subject.type()));
  auto parsed = parse_ssh_certificate_line(line);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->subject, subject);
  EXPECT_EQ(parsed->nonce.size(), 32u);
  EXPECT_EQ(parsed->nonce, issued->nonce);
  EXPECT_EQ(parsed->serial, 42u);
  EXPECT_EQ(parsed->certificate_type, kSshUserCertificate);
  EXPECT_EQ(parsed->key_id, "jit:req-1:alice:prod-db-read");
  EXPECT_EQ(parsed->principals, (std::vector<std::string>{"dbread", "alice"}));
  EXPECT_EQ(parsed->valid_after,
            static_cast<std::uint64_t>(kTestNow.time_since_epoch().count() - 30));
  EXPECT_EQ(parsed->valid_before,
            static_cast<std::uint64_t>(kTestNow.time_since_epoch().count() + 3600));
  EXPECT_EQ(parsed->force_command, "/bin/true");
  EXPECT_EQ(parsed->source_address, "127.0.0.0/8,::1");
  // Sorted by byte value, as ssh-keygen does: uppercase first.
  EXPECT_EQ(
      parsed->extensions,
      (std::vector<std::string>{"permit-X11-forwarding", "permit-agent-forwarding", "permit-pty"}));
  EXPECT_EQ(parsed->extensions, issued->extensions);
  EXPECT_EQ(parsed->ca_key, ca.signing_key().public_key());
  EXPECT_EQ(parsed->signature_algorithm, ca.signing_key().signature_algorithm());
  EXPECT_EQ(parsed->blob, issued->blob);
  EXPECT_EQ(parse_ssh_certificate_blob(issued->blob)->serial, 42u);
}

INSTANTIATE_TEST_SUITE_P(CaBySubject, SshCertificateRoundTrip,
                         ::testing::Values(Combination{"ed25519_ca.key", "ed25519_user.pub"},
                                           Combination{"ed25519_ca.key", "ecdsa384_user.pub"},
                                           Combination{"ed25519_ca.key", "rsa3072_ca.pub"},
                                           Combination{"ecdsa256_ca.key", "ed25519_user.pub"},
                                           Combination{"ecdsa256_ca.key", "ecdsa521_user.pub"},
                                           Combination{"ecdsa256_ca.key", "rsa3072_ca.pub"},
                                           Combination{"rsa3072_ca.key", "ecdsa256_ca.pub"}));

TEST(SshCertificate, CriticalOptionBytesMatchTheReferenceEncoding) {
  const SshCertificateAuthority ca = authority_with(testing::must_generate(KeyAlgorithm::ed25519));
  SshCertificateProfile profile = test_profile();
  profile.force_command = "/bin/true";
  auto issued = ca.issue_user_certificate(subject_from_file("ed25519_user.pub"), profile);
  ASSERT_TRUE(issued);
  // docs/protocols.md 2.3: the critical-options string of a real certificate with
  // force-command=/bin/true.
  ByteWriter expected;
  expected.u32(4 + 13 + 4 + 4 + 9);
  expected.string("force-command");
  expected.u32(13);
  expected.string("/bin/true");
  const Bytes& blob = issued->blob;
  EXPECT_NE(std::search(blob.begin(), blob.end(), expected.bytes().begin(), expected.bytes().end()),
            blob.end());
}

TEST(SshCertificate, ParsesCertificatesMintedBySshKeygen) {
  auto parsed = parse_ssh_certificate_line(ssh_test_file("keygen_user-cert.pub"));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->key_id, "keygen:cert");
  EXPECT_EQ(parsed->serial, 4242u);
  EXPECT_EQ(parsed->principals, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(parsed->valid_after, 1893456000u);
  EXPECT_EQ(parsed->valid_before, 1893542400u);
  EXPECT_EQ(parsed->force_command, "/bin/true");
  EXPECT_EQ(parsed->source_address, "127.0.0.0/8,::1");
  EXPECT_EQ(parsed->extensions.size(), 5u);
  EXPECT_EQ(parsed->subject, subject_from_file("ed25519_user.pub"));
  EXPECT_EQ(parsed->ca_key, subject_from_file("ed25519_ca.pub"));
  EXPECT_TRUE(parsed->valid_at(kTestNow));
  EXPECT_FALSE(parsed->valid_at(kTestNow - std::chrono::seconds(1)));
  EXPECT_FALSE(parsed->valid_at(std::chrono::sys_seconds{std::chrono::seconds{1893542400}}));
}

class SshCertificateMutation : public ::testing::Test {
 protected:
  void SetUp() override {
    auto issued =
        ca_.issue_user_certificate(subject_from_file("ecdsa384_user.pub"), test_profile());
    ASSERT_TRUE(issued);
    blob_ = issued->blob;
    // The signature is the last field: string { string "ssh-ed25519", string sig(64) }.
    signature_start_ = blob_.size() - (4 + 4 + 11 + 4 + 64);
  }
  const SshCertificateAuthority ca_ = authority_with(testing::must_generate(KeyAlgorithm::ed25519));
  Bytes blob_;
  std::size_t signature_start_ = 0;
};

TEST_F(SshCertificateMutation, EveryTruncationIsMalformed) {
  for (std::size_t n = 0; n < blob_.size(); ++n) {
    auto parsed = parse_ssh_certificate_blob(ByteView(blob_).first(n));
    ASSERT_FALSE(parsed) << n;
    EXPECT_EQ(parsed.error(), CaErrc::malformed) << n;
  }
  Bytes longer = blob_;
  longer.push_back(std::byte{0});
  EXPECT_EQ(parse_ssh_certificate_blob(longer).error(), CaErrc::malformed);
}

TEST_F(SshCertificateMutation, EveryFlippedByteIsRefused) {
  ASSERT_TRUE(parse_ssh_certificate_blob(blob_));
  std::set<int> seen;
  for (std::size_t i = 0; i < blob_.size(); ++i) {
    for (std::byte mask : {std::byte{0x01}, std::byte{0x80}}) {
      Bytes copy = blob_;
      copy[i] ^= mask;
      auto parsed = parse_ssh_certificate_blob(copy);
      ASSERT_FALSE(parsed) << "flip at " << i;
      const auto error = parsed.error();
      EXPECT_TRUE(error == CaErrc::malformed || error == CaErrc::bad_signature ||
                  error == CaErrc::unsupported_key)
          << i << " " << error.message();
      seen.insert(error.value());
      // Inside the nonce and the 64 signature bytes the structure is intact: only the signature
      // fails.
      if ((i >= 4 + 40 + 4 && i < 4 + 40 + 4 + 32) || i >= blob_.size() - 64) {
        EXPECT_EQ(error, CaErrc::bad_signature) << i;
      }
    }
  }
  EXPECT_EQ(seen.size(), 3u);
}

// Writes fields 1..13 the way a CA would, with one thing wrong, and signs them properly, so that
// the parser has to find the fault in the structure rather than in the signature.
struct RawCertificate {
  std::string type = "ssh-ed25519-cert-v01@openssh.com";
  std::uint32_t certificate_type = 1;
  std::string key_id = "id";
  std::vector<std::string> principals{"p"};
  std::uint64_t valid_after = 100;
  std::uint64_t valid_before = 200;
  std::vector<std::pair<std::string, Bytes>> options;
  std::vector<std::pair<std::string, Bytes>> extensions;
  Bytes reserved;

  static Bytes value(std::string_view text) {
    ByteWriter w;
    w.string(text);
    return w.take();
  }

  Bytes sign(const SshCaKey& ca, const SshPublicKey& subject) const {
    ByteWriter body;
    body.string(type);
    body.string(Bytes(32, std::byte{9}));
    body.raw(subject.fields());
    body.u64(7);
    body.u32(certificate_type);
    body.string(key_id);
    ByteWriter names;
    for (const auto& p : principals) names.string(p);
    body.string(names.bytes());
    body.u64(valid_after);
    body.u64(valid_before);
    for (const auto* list : {&options, &extensions}) {
      ByteWriter entries;
      for (const auto& [name, data] : *list) {
        entries.string(name);
        entries.string(data);
      }
      body.string(entries.bytes());
    }
    body.string(reserved);
    body.string(ca.public_key().blob());
    Bytes signature = *ca.sign(body.bytes());
    body.string(signature);
    return body.take();
  }
};

TEST(SshCertificateParser, RefusesStructuralFaultsEvenWhenSigned) {
  const SshCaKey ca = testing::must_generate(KeyAlgorithm::ed25519);
  const SshPublicKey subject = subject_from_file("ed25519_user.pub");
  ASSERT_TRUE(parse_ssh_certificate_blob(RawCertificate{}.sign(ca, subject)));

  std::vector<std::pair<std::string, RawCertificate>> faults;
  const auto add = [&](std::string name, auto change) {
    RawCertificate raw;
    change(raw);
    faults.emplace_back(std::move(name), std::move(raw));
  };
  add("host certificate", [](auto& r) { r.certificate_type = 2; });
  add("no principals", [](auto& r) { r.principals.clear(); });
  add("NUL in principal", [](auto& r) { r.principals = {std::string("a\0b", 3)}; });
  add("comma in principal", [](auto& r) { r.principals = {"a,b"}; });
  add("duplicate principal", [](auto& r) { r.principals = {"a", "a"}; });
  add("NUL in key id", [](auto& r) { r.key_id = std::string("a\0b", 3); });
  add("newline in key id", [](auto& r) { r.key_id = "a\nb"; });
  add("empty window", [](auto& r) { r.valid_before = r.valid_after; });
  add("unknown critical option", [](auto& r) {
    r.options = {{"no-such-option", RawCertificate::value("x")}};
  });
  add("duplicate force-command", [](auto& r) {
    r.options = {{"force-command", RawCertificate::value("a")},
                 {"force-command", RawCertificate::value("b")}};
  });
  add("unsorted options", [](auto& r) {
    r.options = {{"source-address", RawCertificate::value("::1")},
                 {"force-command", RawCertificate::value("b")}};
  });
  add("option value with trailing bytes", [](auto& r) {
    Bytes data = RawCertificate::value("a");
    data.push_back(std::byte{0});
    r.options = {{"force-command", data}};
  });
  add("NUL in option value", [](auto& r) {
    r.options = {{"force-command", RawCertificate::value(std::string_view("a\0b", 3))}};
  });
  add("duplicate extension", [](auto& r) {
    r.extensions = {{"permit-pty", {}}, {"permit-pty", {}}};
  });
  add("unsorted extensions", [](auto& r) {
    r.extensions = {{"permit-pty", {}}, {"permit-X11-forwarding", {}}};
  });
  add("extension with data", [](auto& r) {
    r.extensions = {{"permit-pty", RawCertificate::value("x")}};
  });
  add("reserved not empty", [](auto& r) { r.reserved = {std::byte{1}}; });
  add("plain key type", [](auto& r) { r.type = "ssh-ed25519"; });
  for (const auto& [name, raw] : faults) {
    auto parsed = parse_ssh_certificate_blob(raw.sign(ca, subject));
    ASSERT_FALSE(parsed) << name;
    EXPECT_EQ(parsed.error(),
              name == "plain key type" ? CaErrc::unsupported_key : CaErrc::malformed)
        << name;
  }
  RawCertificate unknown;
  unknown.type = "ssh-dss-cert-v01@openssh.com";
  EXPECT_EQ(parse_ssh_certificate_blob(unknown.sign(ca, subject)).error(), CaErrc::unsupported_key);
}

TEST(SshCertificateParser, LineTypeMustMatchTheBlob) {
  const SshCertificateAuthority ca = authority_with(testing::must_generate(KeyAlgorithm::ed25519));
  auto issued = ca.issue_user_certificate(subject_from_file("ed25519_user.pub"), test_profile());
  ASSERT_TRUE(issued);
  const std::string line = issued->line();
  EXPECT_TRUE(parse_ssh_certificate_line(line + " comment\n"));
  EXPECT_EQ(parse_ssh_certificate_line("ecdsa-sha2-nistp256-cert-v01@openssh.com" +
                                       line.substr(line.find(' ')))
                .error(),
            CaErrc::malformed);
  EXPECT_EQ(parse_ssh_certificate_line(line.substr(0, line.size() - 4)).error(), CaErrc::malformed);
}

}  // namespace
}  // namespace jit::ca
