#include "ca/ssh_public_key.hpp"

#include "support/ssh_test_support.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace jit::ca {
namespace {

using testing::ssh_test_file;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

Bytes blob_of(const std::string& line) {
  std::istringstream in(line);
  std::string type;
  std::string base64;
  in >> type >> base64;
  Bytes blob;
  EXPECT_TRUE(base64_decode(base64, blob));
  return blob;
}

struct GoldenKey {
  const char* file;
  SshKeyType type;
  int bits;
};

class SshPublicKeyGolden : public ::testing::TestWithParam<GoldenKey> {};

TEST_P(SshPublicKeyGolden, ParsesReencodesAndFingerprintsLikeSshKeygen) {
  const GoldenKey golden = GetParam();
  const std::string name = golden.file;
  const std::string line = first_line(ssh_test_file(name + ".pub"));
  auto key = SshPublicKey::parse_line(line + "\n");
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->type(), golden.type);
  EXPECT_EQ(key->bits(), golden.bits);
  EXPECT_EQ(key->comment(), name);
  EXPECT_EQ(key->line(), line);  // byte-identical re-encoding
  const Bytes blob = blob_of(line);
  EXPECT_TRUE(std::equal(blob.begin(), blob.end(), key->blob().begin(), key->blob().end()));

  // ssh-keygen -l prints "<bits> SHA256:<fp> <comment> (<TYPE>)".
  std::istringstream fingerprints(ssh_test_file("fingerprints.txt"));
  std::string row;
  bool found = false;
  while (std::getline(fingerprints, row)) {
    if (row.find(" " + name + " ") == std::string::npos) continue;
    found = true;
    EXPECT_EQ(row.substr(row.find(' ') + 1, row.find(' ', row.find(' ') + 1) - row.find(' ') - 1),
              key->fingerprint_sha256());
    EXPECT_EQ(row.substr(0, row.find(' ')), std::to_string(golden.bits));
  }
  EXPECT_TRUE(found);

  // Through OpenSSL and back gives the same blob.
  auto evp = key->to_evp();
  ASSERT_TRUE(evp);
  auto again = SshPublicKey::from_evp(evp->get());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *key);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, SshPublicKeyGolden,
                         ::testing::Values(GoldenKey{"ed25519_ca", SshKeyType::ed25519, 256},
                                           GoldenKey{"ecdsa256_ca", SshKeyType::ecdsa_p256, 256},
                                           GoldenKey{"ecdsa384_user", SshKeyType::ecdsa_p384, 384},
                                           GoldenKey{"ecdsa521_user", SshKeyType::ecdsa_p521, 521},
                                           GoldenKey{"rsa3072_ca", SshKeyType::rsa, 3072}));

TEST(SshPublicKey, RefusesDsaAndShortRsa) {
  EXPECT_EQ(SshPublicKey::parse_line(ssh_test_file("dsa_user.pub")).error(),
            CaErrc::unsupported_key);
  EXPECT_EQ(SshPublicKey::parse_line(ssh_test_file("rsa2048_user.pub")).error(),
            CaErrc::unsupported_key);
}

TEST(SshPublicKey, RefusesUnknownAndCertificateTypes) {
  ByteWriter blob;
  blob.string("ssh-foo");
  blob.string("x");
  EXPECT_EQ(SshPublicKey::parse_blob(blob.bytes()).error(), CaErrc::unsupported_key);
  const std::string cert = ssh_test_file("keygen_user-cert.pub");
  EXPECT_EQ(SshPublicKey::parse_line(cert).error(), CaErrc::unsupported_key);
}

TEST(SshPublicKey, RefusesMismatchedTypeNameBetweenLineAndBlob) {
  const std::string line = first_line(ssh_test_file("ed25519_user.pub"));
  const std::string lie = "ecdsa-sha2-nistp256" + line.substr(line.find(' '));
  EXPECT_EQ(SshPublicKey::parse_line(lie).error(), CaErrc::malformed);
}

TEST(SshPublicKey, RefusesNonCanonicalOrBrokenBase64) {
  const std::string line = first_line(ssh_test_file("ecdsa256_ca.pub"));
  const std::size_t start = line.find(' ') + 1;
  const std::size_t end = line.find(' ', start);
  std::string base64 = line.substr(start, end - start);
  ASSERT_EQ(base64.back(), '=');  // 104-byte blob: one pad character
  // The last symbol before '=' carries 2 unused bits; setting one is a second spelling of the blob.
  std::string noncanonical = base64;
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::size_t symbol = noncanonical.size() - 2;
  noncanonical[symbol] = alphabet[alphabet.find(noncanonical[symbol]) | 1];
  const std::string type = "ecdsa-sha2-nistp256 ";
  ASSERT_TRUE(SshPublicKey::parse_line(type + base64));
  EXPECT_EQ(SshPublicKey::parse_line(type + noncanonical).error(), CaErrc::malformed);
  EXPECT_EQ(SshPublicKey::parse_line(type + base64.substr(0, base64.size() - 1)).error(),
            CaErrc::malformed);
  EXPECT_EQ(SshPublicKey::parse_line(type + base64.substr(0, 8) + "\n" + base64.substr(8)).error(),
            CaErrc::malformed);
  EXPECT_EQ(SshPublicKey::parse_line("ssh-ed25519").error(), CaErrc::malformed);
  EXPECT_EQ(SshPublicKey::parse_line("").error(), CaErrc::malformed);
}

TEST(SshPublicKey, CommentsAreKeptAndControlCharactersRefused) {
  const std::string line = first_line(ssh_test_file("ed25519_user.pub"));
  const std::string bare = line.substr(0, line.rfind(' '));
  auto key = SshPublicKey::parse_line("  " + bare + "   alice at laptop \r\n");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->comment(), "alice at laptop");
  EXPECT_EQ(SshPublicKey::parse_line(bare + " a\nb").error(), CaErrc::malformed);
  EXPECT_EQ(SshPublicKey::parse_line(bare + std::string(" a\0b", 4)).error(), CaErrc::malformed);
  EXPECT_EQ(key->with_comment("x\ny").error(), CaErrc::malformed);
  EXPECT_EQ(key->with_comment("new")->line(), bare + " new");
  EXPECT_EQ(SshPublicKey::parse_line(bare)->line(), bare);
}

TEST(SshPublicKey, RefusesTrailingBytesAndEveryTruncation) {
  for (const char* name : {"ed25519_user.pub", "ecdsa256_ca.pub", "rsa3072_ca.pub"}) {
    const Bytes blob = blob_of(first_line(ssh_test_file(name)));
    ASSERT_TRUE(SshPublicKey::parse_blob(blob)) << name;
    Bytes longer = blob;
    longer.push_back(std::byte{0});
    EXPECT_EQ(SshPublicKey::parse_blob(longer).error(), CaErrc::malformed) << name;
    for (std::size_t n = 0; n < blob.size(); ++n) {
      EXPECT_EQ(SshPublicKey::parse_blob(ByteView(blob).first(n)).error(), CaErrc::malformed)
          << name << " " << n;
    }
  }
}

TEST(SshPublicKey, RefusesEcdsaPointsOffTheCurveOrCompressed) {
  const Bytes blob = blob_of(first_line(ssh_test_file("ecdsa256_ca.pub")));
  // Layout: string type (4+19), string "nistp256" (4+8), string Q (4+65): Q starts at 39.
  constexpr std::size_t kPoint = 4 + 19 + 4 + 8 + 4;
  ASSERT_EQ(blob.size(), kPoint + 65);
  Bytes off_curve = blob;
  off_curve[kPoint + 64] ^= std::byte{0x01};  // change Y
  EXPECT_EQ(SshPublicKey::parse_blob(off_curve).error(), CaErrc::malformed);
  Bytes compressed_tag = blob;
  compressed_tag[kPoint] = std::byte{0x02};
  EXPECT_EQ(SshPublicKey::parse_blob(compressed_tag).error(), CaErrc::malformed);
  Bytes wrong_curve = blob;
  wrong_curve[4 + 19 + 4 + 7] = std::byte{'4'};  // "nistp254"
  EXPECT_EQ(SshPublicKey::parse_blob(wrong_curve).error(), CaErrc::malformed);
}

TEST(SshPublicKey, RefusesNonCanonicalRsaIntegers) {
  const Bytes blob = blob_of(first_line(ssh_test_file("rsa3072_ca.pub")));
  ByteReader reader(blob);
  std::string type;
  ByteView e;
  ByteView n;
  ASSERT_TRUE(reader.cstring(64, type));
  ASSERT_TRUE(reader.string(1024, e));
  ASSERT_TRUE(reader.string(1024, n));
  // e with a redundant leading zero.
  ByteWriter padded;
  padded.string("ssh-rsa");
  Bytes e_padded{std::byte{0}};
  e_padded.insert(e_padded.end(), e.begin(), e.end());
  padded.string(e_padded);
  padded.string(n);
  EXPECT_EQ(SshPublicKey::parse_blob(padded.bytes()).error(), CaErrc::malformed);
  // An even modulus is not an RSA key.
  Bytes even(n.begin(), n.end());
  even.back() &= std::byte{0xFE};
  ByteWriter even_blob;
  even_blob.string("ssh-rsa");
  even_blob.string(e);
  even_blob.string(even);
  EXPECT_EQ(SshPublicKey::parse_blob(even_blob.bytes()).error(), CaErrc::malformed);
}

TEST(SshPublicKey, Ed25519KeyMustBe32Bytes) {
  ByteWriter blob;
  blob.string("ssh-ed25519");
  blob.string(Bytes(31, std::byte{7}));
  EXPECT_EQ(SshPublicKey::parse_blob(blob.bytes()).error(), CaErrc::malformed);
}

TEST(SshPublicKey, FromEvpRefusesShortRsa) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  ASSERT_TRUE(key);
  EXPECT_EQ(SshPublicKey::from_evp(key.get()).error(), CaErrc::unsupported_key);
}

}  // namespace
}  // namespace jit::ca
