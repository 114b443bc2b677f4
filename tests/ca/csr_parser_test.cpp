#include "ca/csr_parser.hpp"

#include "ca/x509_digest.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

namespace jit::ca {
namespace {

using testing::CsrOptions;
using testing::generate;
using testing::make_csr_der;
using testing::make_csr_pem;

std::string data_file(const std::string& name) {
  return testing::read_text(std::filesystem::path(JIT_TEST_DATA_DIR) / name);
}

std::string as_string(const Bytes& der) { return std::string(as_chars(der)); }

Bytes spki_of(EVP_PKEY* key) {
  const int length = i2d_PUBKEY(key, nullptr);
  Bytes out(static_cast<std::size_t>(length));
  auto* cursor = reinterpret_cast<unsigned char*>(out.data());
  i2d_PUBKEY(key, &cursor);
  return out;
}

// Replaces the first occurrence of `from` (same length as `to`) in `der`.
Bytes patched(Bytes der, std::string_view from, std::string_view to) {
  const ByteView needle = as_bytes(from);
  auto at = std::search(der.begin(), der.end(), needle.begin(), needle.end());
  EXPECT_NE(at, der.end());
  if (at != der.end()) std::copy(as_bytes(to).begin(), as_bytes(to).end(), at);
  return der;
}

TEST(CsrParser, AcceptsP256P384Ed25519AndRsa3072InPemOrDer) {
  struct Case {
    KeyAlgorithm algorithm;
    const EVP_MD* md;
  };
  for (const Case& c :
       {Case{KeyAlgorithm::ecdsa_p256, EVP_sha256()}, Case{KeyAlgorithm::ecdsa_p384, EVP_sha384()},
        Case{KeyAlgorithm::ecdsa_p256, EVP_sha512()}, Case{KeyAlgorithm::ed25519, nullptr}}) {
    EvpPkeyPtr key = generate(c.algorithm);
    CsrOptions options;
    options.md = c.md;
    const Bytes der = make_csr_der(key.get(), options);
    for (const std::string& input : {as_string(der), make_csr_pem(key.get(), options)}) {
      auto csr = parse_and_verify_csr(input);
      ASSERT_TRUE(csr) << csr.error().message();
      EXPECT_EQ(csr->key_algorithm, c.algorithm);
      EXPECT_EQ(csr->subject_public_key_info, spki_of(key.get()));
      // The key identifier is SHA-1 over the key bits, as OpenSSL's "hash" method computes it.
      X509_PUBKEY* pub = nullptr;
      ASSERT_EQ(X509_PUBKEY_set(&pub, key.get()), 1);
      const unsigned char* bits = nullptr;
      int bits_length = 0;
      X509_PUBKEY_get0_param(nullptr, &bits, &bits_length, nullptr, pub);
      auto expected =
          compute_digest(DigestKind::sha1, ByteView(reinterpret_cast<const std::byte*>(bits),
                                                    static_cast<std::size_t>(bits_length)));
      X509_PUBKEY_free(pub);
      EXPECT_EQ(csr->subject_key_identifier, *expected);
    }
  }
  auto rsa = parse_and_verify_csr(data_file("x509_csr_rsa3072.pem"));
  ASSERT_TRUE(rsa);
  EXPECT_EQ(rsa->key_algorithm, KeyAlgorithm::rsa);
}

TEST(CsrParser, AcceptsTheOldNewCertificateRequestLabel) {
  EvpPkeyPtr key = generate(KeyAlgorithm::ecdsa_p256);
  std::string pem = make_csr_pem(key.get());
  pem.replace(pem.find("BEGIN "), 6, "BEGIN NEW ");
  pem.replace(pem.find("END "), 4, "END NEW ");
  EXPECT_TRUE(parse_and_verify_csr(pem));
}

TEST(CsrParser, RefusesBadSignature) {
  EvpPkeyPtr key = generate(KeyAlgorithm::ecdsa_p256);
  Bytes der = make_csr_der(key.get());
  der.back() ^= std::byte{0x01};
  EXPECT_EQ(parse_and_verify_csr(as_string(der)).error(), CaErrc::bad_signature);

  EvpPkeyPtr ed = generate(KeyAlgorithm::ed25519);
  CsrOptions options;
  options.md = nullptr;
  Bytes ed_der = make_csr_der(ed.get(), options);
  ed_der.back() ^= std::byte{0x80};
  EXPECT_EQ(parse_and_verify_csr(as_string(ed_der)).error(), CaErrc::bad_signature);
}

TEST(CsrParser, RefusesACsrSignedByAnotherKey) {
  // The subject key is not the one that signed: a client without the private key.
  EvpPkeyPtr claimed = generate(KeyAlgorithm::ecdsa_p256);
  EvpPkeyPtr signer = generate(KeyAlgorithm::ecdsa_p256);
  X509ReqPtr request(X509_REQ_new());
  ASSERT_EQ(X509_REQ_set_pubkey(request.get(), claimed.get()), 1);
  ASSERT_GT(X509_REQ_sign(request.get(), signer.get(), EVP_sha256()), 0);
  unsigned char* raw = nullptr;
  const int length = i2d_X509_REQ(request.get(), &raw);
  const std::string der(reinterpret_cast<char*>(raw), static_cast<std::size_t>(length));
  OPENSSL_free(raw);
  EXPECT_EQ(parse_and_verify_csr(der).error(), CaErrc::bad_signature);
}

TEST(CsrParser, SignatureAlgorithmMustFitKeyAndBeKnown) {
  EvpPkeyPtr key = generate(KeyAlgorithm::ecdsa_p256);
  const Bytes der = make_csr_der(key.get());
  // ecdsa-with-SHA256 relabelled ecdsa-with-SHA384: same family, the hash no longer matches.
  const Bytes relabelled =
      patched(der, "\x2A\x86\x48\xCE\x3D\x04\x03\x02", "\x2A\x86\x48\xCE\x3D\x04\x03\x03");
  EXPECT_EQ(parse_and_verify_csr(as_string(relabelled)).error(), CaErrc::bad_signature);

  EvpPkeyPtr ed = generate(KeyAlgorithm::ed25519);
  CsrOptions options;
  options.md = nullptr;
  const Bytes ed_der = make_csr_der(ed.get(), options);
  // The signature algorithm (the last 2B 65 70 before the BIT STRING) relabelled X25519
  // (1.3.101.110).
  Bytes unknown = ed_der;
  const std::string_view ed_oid = "\x06\x03\x2B\x65\x70";
  auto last = std::find_end(unknown.begin(), unknown.end(), as_bytes(ed_oid).begin(),
                            as_bytes(ed_oid).end());
  ASSERT_NE(last, unknown.end());
  *(last + 4) = std::byte{0x6E};
  EXPECT_EQ(parse_and_verify_csr(as_string(unknown)).error(), CaErrc::unsupported_key);

  CsrOptions sha1;
  sha1.md = EVP_sha1();
  EXPECT_EQ(parse_and_verify_csr(as_string(make_csr_der(key.get(), sha1))).error(),
            CaErrc::unsupported_key);
}

TEST(CsrParser, RefusesWeakAndUnsupportedKeys) {
  for (const char* name : {"x509_csr_rsa2048.pem", "x509_csr_dsa.pem", "x509_csr_secp256k1.pem",
                           "x509_csr_p521.pem", "x509_csr_rsa_pss.pem"}) {
    auto csr = parse_and_verify_csr(data_file(name));
    ASSERT_FALSE(csr) << name;
    EXPECT_EQ(csr.error(), CaErrc::unsupported_key) << name;
  }
}

TEST(CsrParser, RefusesGarbageJunkTwoCsrsHugeAndEmptyInput) {
  EvpPkeyPtr key = generate(KeyAlgorithm::ecdsa_p256);
  const std::string pem = make_csr_pem(key.get());
  const Bytes der = make_csr_der(key.get());
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"empty", ""},
      {"garbage", "this is not a certificate request"},
      {"binary garbage", std::string("\x30\x03\x02\x01", 4)},
      {"pem with trailing junk", pem + "trailing junk\n"},
      {"two csrs", pem + pem},
      {"der with trailing byte", as_string(der) + std::string(1, '\0')},
      {"1 MB blob", std::string(1024 * 1024, 'A')},
      {"1 MB of PEM", "-----BEGIN CERTIFICATE REQUEST-----\n" + std::string(1024 * 1024, 'A') +
                          "\n-----END CERTIFICATE REQUEST-----\n"},
      {"just over the cap", pem + std::string(kMaxCsrBytes + 1 - pem.size(), ' ')},
      {"certificate label",
       [&] {
         std::string other = pem;
         other.replace(other.find("CERTIFICATE REQUEST"), 19, "CERTIFICATE");
         other.replace(other.rfind("CERTIFICATE REQUEST"), 19, "CERTIFICATE");
         return other;
       }()},
  };
  for (const auto& [what, input] : refused) {
    auto csr = parse_and_verify_csr(input);
    ASSERT_FALSE(csr) << what;
    EXPECT_EQ(csr.error(), CaErrc::malformed) << what;
  }
  // Whitespace padding up to the cap is fine.
  EXPECT_TRUE(parse_and_verify_csr(pem + std::string(kMaxCsrBytes - pem.size(), '\n')));
}

TEST(CsrParser, RefusesVersionOtherThanV1) {
  EvpPkeyPtr key = generate(KeyAlgorithm::ecdsa_p256);
  Bytes der = make_csr_der(key.get());
  // Outer SEQUENCE header, info SEQUENCE header, then version 02 01 00.
  const std::string_view version = "\x02\x01\x00";
  auto at = std::search(der.begin(), der.end(), as_bytes(version).begin(), as_bytes(version).end());
  ASSERT_NE(at, der.end());
  *(at + 2) = std::byte{0x01};
  EXPECT_EQ(parse_and_verify_csr(as_string(der)).error(), CaErrc::malformed);
}

TEST(CsrParser, EveryTruncationIsMalformed) {
  for (KeyAlgorithm algorithm : {KeyAlgorithm::ecdsa_p256, KeyAlgorithm::ed25519}) {
    EvpPkeyPtr key = generate(algorithm);
    CsrOptions options;
    options.md = algorithm == KeyAlgorithm::ed25519 ? nullptr : EVP_sha256();
    const std::string der = as_string(make_csr_der(key.get(), options));
    for (std::size_t length = 0; length < der.size(); ++length) {
      auto csr = parse_and_verify_csr(der.substr(0, length));
      ASSERT_FALSE(csr) << length;
      EXPECT_EQ(csr.error(), CaErrc::malformed) << length;
    }
  }
}

TEST(CsrParser, EveryFlippedByteIsRefused) {
  for (KeyAlgorithm algorithm : {KeyAlgorithm::ecdsa_p256, KeyAlgorithm::ed25519}) {
    EvpPkeyPtr key = generate(algorithm);
    CsrOptions options;
    options.md = algorithm == KeyAlgorithm::ed25519 ? nullptr : EVP_sha256();
    const std::string der = as_string(make_csr_der(key.get(), options));
    for (std::size_t i = 0; i < der.size(); ++i) {
      for (unsigned char mask : {0x01, 0x80}) {
        std::string flipped = der;
        flipped[i] = static_cast<char>(flipped[i] ^ mask);
        auto csr = parse_and_verify_csr(flipped);
        ASSERT_FALSE(csr) << "byte " << i << " mask " << int(mask);
        const CaErrc error = static_cast<CaErrc>(csr.error().value());
        // Which check fires depends on the byte: framing (malformed), key or algorithm identifiers
        // (unsupported_key), or anything under the signature (bad_signature). Never a crypto fault.
        EXPECT_TRUE(error == CaErrc::malformed || error == CaErrc::unsupported_key ||
                    error == CaErrc::bad_signature)
            << "byte " << i << ": " << csr.error().message();
      }
    }
  }
}

}  // namespace
}  // namespace jit::ca
