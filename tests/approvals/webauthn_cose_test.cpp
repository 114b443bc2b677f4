#include "approvals/webauthn_cose.hpp"

#include "ca/private_key.hpp"
#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using testing::from_hex;
using testing::SoftwareAuthenticator;

const std::string kX = std::string(64, 'a');
// The P-256 generator: a point that is on the curve.
const std::string kGx = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";
const std::string kGy = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

ca::Bytes es256_key(const std::string& x, const std::string& y, const std::string& extra = "",
                    const char* head = "a5") {
  return from_hex(std::string(head) + "010203262001215820" + x + "225820" + y + extra);
}

TEST(CoseKey, ParsesAndReencodesBothAlgorithms) {
  for (const auto& authenticator :
       {SoftwareAuthenticator::es256(), SoftwareAuthenticator::eddsa()}) {
    const ca::Bytes cose = authenticator.cose_public_key();
    auto parsed = parse_cose_public_key(cose);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->alg, authenticator.alg());
    EXPECT_EQ(EVP_PKEY_eq(parsed->key.get(), authenticator.key()), 1);
    EXPECT_EQ(encode_cose_public_key(parsed->key.get()).value(), cose);
    EXPECT_EQ(encode_cose_public_key(authenticator.key()).value(), cose);
    EXPECT_EQ(cose.size(), authenticator.alg() == CoseAlgorithm::es256 ? 77u : 42u);
  }
  EXPECT_TRUE(parse_cose_public_key(es256_key(kGx, kGy)).has_value());
}

TEST(CoseKey, RefusesMalformedKeys) {
  // A point that is not on the curve.
  EXPECT_EQ(parse_cose_public_key(es256_key(kGx, kX)).error(), ApprovalsErrc::invalid_input);
  // Missing y; a 31-byte x; an extra label (kid, 2); a text label.
  EXPECT_EQ(parse_cose_public_key(from_hex("a4010203262001215820" + kGx)).error(),
            ApprovalsErrc::invalid_input);
  EXPECT_EQ(parse_cose_public_key(from_hex("a501020326200121581f" + kGx.substr(2) + "225820" + kGy))
                .error(),
            ApprovalsErrc::invalid_input);
  EXPECT_EQ(parse_cose_public_key(es256_key(kGx, kGy, "0241aa", "a6")).error(),
            ApprovalsErrc::invalid_input);
  EXPECT_EQ(parse_cose_public_key(es256_key(kGx, kGy, "616b00", "a6")).error(),
            ApprovalsErrc::invalid_input);
  // Not a map, trailing bytes, duplicate label.
  EXPECT_EQ(parse_cose_public_key(from_hex("80")).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(parse_cose_public_key(es256_key(kGx, kGy, "00")).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(parse_cose_public_key(es256_key(kGx, kGy, "0102", "a6")).error(),
            ApprovalsErrc::invalid_input);
  // Ed25519 with a y, and with a wrong-size x.
  EXPECT_EQ(parse_cose_public_key(from_hex("a501010327200621582044e06ddd331c36a8dc667bab52bcae6348"
                                           "6c916aa5e339e6acebaa84934bf832225820" +
                                           kGy))
                .error(),
            ApprovalsErrc::invalid_input);
  EXPECT_EQ(parse_cose_public_key(from_hex("a40101032720062158210044e06ddd331c36a8dc667bab52bcae63"
                                           "486c916aa5e339e6acebaa84934bf832"))
                .error(),
            ApprovalsErrc::invalid_input);
  // Every truncation of a valid key.
  const ca::Bytes valid = es256_key(kGx, kGy);
  for (std::size_t length = 0; length < valid.size(); ++length) {
    EXPECT_EQ(parse_cose_public_key(ca::ByteView(valid).first(length)).error(),
              ApprovalsErrc::invalid_input)
        << length;
  }
}

TEST(CoseKey, RefusesOtherAlgorithmsAndCurves) {
  // ES256 on curve 2 (P-384), EdDSA on curve 7 (Ed448), RS256.
  EXPECT_EQ(parse_cose_public_key(from_hex("a5010203262002215820" + kGx + "225820" + kGy)).error(),
            ApprovalsErrc::unsupported);
  EXPECT_EQ(parse_cose_public_key(from_hex("a4010103272007215820" + kGx)).error(),
            ApprovalsErrc::unsupported);
  EXPECT_EQ(parse_cose_public_key(from_hex("a4010303390100205820" + kGx + "2143010001")).error(),
            ApprovalsErrc::unsupported);
  auto p384 = ca::generate_private_key(ca::KeyAlgorithm::ecdsa_p384).value();
  EXPECT_EQ(encode_cose_public_key(p384.get()).error(), ApprovalsErrc::unsupported);
  for (const char* type : {"X25519", "ED448"}) {
    ca::EvpPkeyPtr other(EVP_PKEY_Q_keygen(nullptr, nullptr, type));
    ASSERT_TRUE(other) << type;
    EXPECT_EQ(encode_cose_public_key(other.get()).error(), ApprovalsErrc::unsupported) << type;
  }
}

TEST(CoseSignature, VerifiesAndRefuses) {
  for (const auto& authenticator :
       {SoftwareAuthenticator::es256(), SoftwareAuthenticator::eddsa()}) {
    auto key = parse_cose_public_key(authenticator.cose_public_key()).value();
    const ca::Bytes message = testing::bytes_of("authData || hash");
    ca::Bytes signature = authenticator.sign(message);
    EXPECT_TRUE(verify_cose_signature(key, message, signature).has_value());
    EXPECT_EQ(verify_cose_signature(key, testing::bytes_of("other"), signature).error(),
              ApprovalsErrc::unauthenticated);
    // One byte more: an impossible Ed25519 size; for ES256, DER with a trailing byte (refused by
    // OpenSSL) or, from a 72-byte signature, an impossible size.
    signature.push_back(std::byte{0});
    const bool impossible_size =
        authenticator.alg() == CoseAlgorithm::eddsa || signature.size() > 72;
    EXPECT_EQ(verify_cose_signature(key, message, signature).error(),
              impossible_size ? ApprovalsErrc::invalid_input : ApprovalsErrc::unauthenticated);
  }
}

}  // namespace
}  // namespace jit::approvals
