#include "ca/ssh_signature.hpp"

#include "ca/openssh_private_key.hpp"
#include "ca/ssh_wire.hpp"
#include "support/ssh_test_support.hpp"

#include <gtest/gtest.h>

namespace jit::ca {
namespace {

using testing::bytes_of;
using testing::to_bytes;

EvpPkeyPtr key_for(SshKeyType type) {
  switch (type) {
    case SshKeyType::ed25519:
      return *generate_private_key(KeyAlgorithm::ed25519);
    case SshKeyType::ecdsa_p256:
      return *generate_private_key(KeyAlgorithm::ecdsa_p256);
    case SshKeyType::ecdsa_p384:
      return *generate_private_key(KeyAlgorithm::ecdsa_p384);
    case SshKeyType::ecdsa_p521:
      return *generate_private_key(KeyAlgorithm::ecdsa_p521);
    case SshKeyType::rsa:
      return *parse_openssh_private_key(testing::ssh_test_file("rsa3072_ca.key"));
  }
  return nullptr;
}

class SshSignatureRoundTrip : public ::testing::TestWithParam<SshKeyType> {};

TEST_P(SshSignatureRoundTrip, SignsVerifiesAndRefusesChanges) {
  const SshKeyType type = GetParam();
  EvpPkeyPtr key = key_for(type);
  ASSERT_TRUE(key);
  auto public_key = SshPublicKey::from_evp(key.get());
  ASSERT_TRUE(public_key);
  const Bytes message = to_bytes("certificate body");
  auto signature = ssh_sign(key.get(), type, message);
  ASSERT_TRUE(signature);

  ByteReader reader(*signature);
  std::string algorithm;
  ASSERT_TRUE(reader.cstring(64, algorithm));
  EXPECT_EQ(algorithm, ssh_signature_algorithm(type));
  EXPECT_TRUE(ssh_verify(*public_key, message, *signature));

  EXPECT_EQ(ssh_verify(*public_key, to_bytes("certificate bodY"), *signature).error(),
            CaErrc::bad_signature);
  Bytes trailing = *signature;
  trailing.push_back(std::byte{0});
  EXPECT_EQ(ssh_verify(*public_key, message, trailing).error(), CaErrc::malformed);
  for (std::size_t n = 0; n < signature->size(); ++n) {
    EXPECT_EQ(ssh_verify(*public_key, message, ByteView(*signature).first(n)).error(),
              CaErrc::malformed)
        << n;
  }
  Bytes flipped = *signature;
  flipped.back() ^= std::byte{0x01};
  EXPECT_FALSE(ssh_verify(*public_key, message, flipped));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, SshSignatureRoundTrip,
                         ::testing::Values(SshKeyType::ed25519, SshKeyType::ecdsa_p256,
                                           SshKeyType::ecdsa_p384, SshKeyType::ecdsa_p521,
                                           SshKeyType::rsa));

TEST(SshSignature, AlgorithmMustBelongToTheKey) {
  EvpPkeyPtr ed = key_for(SshKeyType::ed25519);
  auto public_key = SshPublicKey::from_evp(ed.get());
  const Bytes message = to_bytes("m");
  auto signature = ssh_sign(ed.get(), SshKeyType::ed25519, message);
  ASSERT_TRUE(signature);
  ByteReader reader(*signature);
  std::string algorithm;
  ByteView raw;
  ASSERT_TRUE(reader.cstring(64, algorithm) && reader.string(64, raw));
  ByteWriter renamed;
  renamed.string("ecdsa-sha2-nistp256");
  renamed.string(raw);
  EXPECT_EQ(ssh_verify(*public_key, message, renamed.bytes()).error(), CaErrc::malformed);
  ByteWriter longer;
  longer.string("ssh-ed25519");
  Bytes raw65(raw.begin(), raw.end());
  raw65.push_back(std::byte{0});
  longer.string(raw65);
  EXPECT_EQ(ssh_verify(*public_key, message, longer.bytes()).error(), CaErrc::malformed);
}

TEST(SshSignature, RsaAcceptsSha2AndRefusesSha1) {
  EvpPkeyPtr key = key_for(SshKeyType::rsa);
  auto public_key = SshPublicKey::from_evp(key.get());
  ASSERT_TRUE(public_key);
  const Bytes message = to_bytes("m");
  for (const auto& [algorithm, digest, accepted] :
       {std::tuple{"rsa-sha2-256", "SHA256", true}, std::tuple{"ssh-rsa", "SHA1", false}}) {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    ASSERT_EQ(
        EVP_DigestSignInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr, key.get(), nullptr), 1);
    Bytes raw(384);
    std::size_t length = raw.size();
    ASSERT_EQ(EVP_DigestSign(ctx.get(), as_uchars(std::span<std::byte>(raw)), &length,
                             as_uchars(message), message.size()),
              1);
    ByteWriter blob;
    blob.string(algorithm);
    blob.string(raw);
    auto verified = ssh_verify(*public_key, message, blob.bytes());
    if (accepted) {
      EXPECT_TRUE(verified) << algorithm;
    } else {
      EXPECT_EQ(verified.error(), CaErrc::malformed) << algorithm;
    }
  }
}

// r and s are encoded as mpints: leading zero bytes stripped, a 0x00 added when the top bit is set.
// Such shapes occur in about 1 of 2 (pad) and 1 of 256 (short) values, so loop over many
// signatures.
TEST(SshSignature, ThousandsOfEcdsaSignaturesHaveCanonicalMpints) {
  EvpPkeyPtr key = key_for(SshKeyType::ecdsa_p256);
  auto public_key = SshPublicKey::from_evp(key.get());
  ASSERT_TRUE(public_key);
  int padded = 0;
  int short_values = 0;
  for (int i = 0; i < 3000; ++i) {
    const Bytes message = to_bytes("message " + std::to_string(i));
    auto signature = ssh_sign(key.get(), SshKeyType::ecdsa_p256, message);
    ASSERT_TRUE(signature);
    ByteReader outer(*signature);
    std::string algorithm;
    ByteReader inner(ByteView{});
    ASSERT_TRUE(outer.cstring(64, algorithm) && outer.sub(128, inner) && outer.empty());
    for (int part = 0; part < 2; ++part) {
      ByteView raw;
      ASSERT_TRUE(inner.string(64, raw));
      ASSERT_FALSE(raw.empty());
      ASSERT_LE(raw.size(), 33u);
      const unsigned first = std::to_integer<unsigned>(raw[0]);
      ASSERT_EQ(first & 0x80U, 0U) << "negative mpint";
      if (first == 0) {
        ASSERT_GE(raw.size(), 2u);
        ASSERT_NE(std::to_integer<unsigned>(raw[1]) & 0x80U, 0U) << "redundant leading zero";
        ++padded;
      }
      if (raw.size() < 32) ++short_values;
    }
    ASSERT_TRUE(inner.empty());
    ASSERT_TRUE(ssh_verify(*public_key, message, *signature)) << i;
  }
  EXPECT_GT(padded, 1000);
  EXPECT_GT(short_values, 0);
}

Bytes der_signature(const Bytes& r, const Bytes& s) {
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* bn_r = BN_bin2bn(as_uchars(r), static_cast<int>(r.size()), nullptr);
  BIGNUM* bn_s = BN_bin2bn(as_uchars(s), static_cast<int>(s.size()), nullptr);
  ECDSA_SIG_set0(sig.get(), bn_r, bn_s);  // sig owns both numbers from here
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  Bytes der(static_cast<std::size_t>(length));
  unsigned char* out = as_uchars(std::span<std::byte>(der));
  i2d_ECDSA_SIG(sig.get(), &out);
  return der;
}

TEST(SshSignature, EcdsaMpintEdgeCasesEncodeExactly) {
  Bytes high(32, std::byte{0});
  high[0] = std::byte{0x80};
  high[31] = std::byte{0x01};
  Bytes short_value(32, std::byte{0});
  short_value[1] = std::byte{0x7F};
  ByteWriter out;
  ASSERT_TRUE(append_ecdsa_signature_from_der(der_signature(high, short_value), out));
  ByteWriter expected_inner;
  expected_inner.u32(33);
  expected_inner.u8(0);
  expected_inner.raw(high);
  expected_inner.u32(31);
  expected_inner.raw(ByteView(short_value).subspan(1));
  ByteWriter expected;
  expected.string(expected_inner.bytes());
  EXPECT_EQ(out.bytes(), expected.bytes());

  ByteWriter tiny;
  ASSERT_TRUE(
      append_ecdsa_signature_from_der(der_signature(bytes_of({0x01}), bytes_of({0x7F})), tiny));
  EXPECT_EQ(tiny.bytes(), bytes_of({0, 0, 0, 10, 0, 0, 0, 1, 0x01, 0, 0, 0, 1, 0x7F}));
}

TEST(SshWire, ReadMpintPositiveAcceptsOnlyCanonicalForms) {
  struct Case {
    Bytes wire;
    bool ok;
    Bytes magnitude;
  };
  const std::vector<Case> cases = {
      {bytes_of({0, 0, 0, 0}), true, {}},  // zero
      {bytes_of({0, 0, 0, 1, 0x7F}), true, bytes_of({0x7F})},
      {bytes_of({0, 0, 0, 2, 0x00, 0x80}), true, bytes_of({0x80})},  // pad for the top bit
      {bytes_of({0, 0, 0, 1, 0x80}), false, {}},                     // negative
      {bytes_of({0, 0, 0, 2, 0x00, 0x7F}), false, {}},               // redundant zero
      {bytes_of({0, 0, 0, 1, 0x00}), false, {}},                     // zero written as 00
      {bytes_of({0, 0, 0, 3, 0x00, 0x00, 0x80}), false, {}},         // two zeros
      {bytes_of({0, 0, 0, 3, 0x01, 0x02, 0x03}), false, {}},         // longer than max_bytes = 2
      {bytes_of({0, 0, 0, 3, 0x00, 0x81, 0x02}), true, bytes_of({0x81, 0x02})},
      {bytes_of({0, 0, 0, 2, 0x01}), false, {}},  // truncated
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    ByteReader reader(cases[i].wire);
    ByteView magnitude;
    EXPECT_EQ(read_mpint_positive(reader, 2, magnitude), cases[i].ok) << i;
    if (cases[i].ok) {
      EXPECT_EQ(Bytes(magnitude.begin(), magnitude.end()), cases[i].magnitude) << i;
      EXPECT_TRUE(reader.empty());
    } else {
      EXPECT_EQ(reader.offset(), 0u) << i;
    }
  }
}

}  // namespace
}  // namespace jit::ca
