#include "ca/csr_parser.hpp"

#include "ca/openssl_handles.hpp"
#include "ca/x509_certificate_authority.hpp"
#include "ca/x509_der.hpp"
#include "ca/x509_digest.hpp"
#include "ca/x509_oids.hpp"
#include "ca/x509_pem.hpp"

#include <openssl/core_names.h>

#include <optional>

namespace jit::ca {
namespace {

enum class KeyFamily { ec, ed25519, rsa };

struct ParsedKey {
  EvpPkeyPtr key;
  KeyFamily family = KeyFamily::ec;
  KeyAlgorithm algorithm = KeyAlgorithm::ecdsa_p256;
};

struct SignatureAlgorithm {
  KeyFamily family;
  std::optional<DigestKind> digest;  // empty for Ed25519
};

bool oid_is(ByteView oid, std::string_view expected) { return as_chars(oid) == expected; }

// EVP_PKEY_fromdata costs about a sixth of d2i_PUBKEY in OpenSSL 3.0 (no decoder chain); the
// import checks that the point lies on the curve.
Result<EvpPkeyPtr> ec_key_from_point(const char* group, ByteView point) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return CaErrc::crypto_failure;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                        const_cast<std::byte*>(point.data()), point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1)
    return CaErrc::malformed;
  return EvpPkeyPtr(raw);
}

// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
Result<ParsedKey> parse_public_key(ByteView spki_content, ByteView spki_whole, ByteView& key_bits) {
  DerReader spki(spki_content);
  DerReader algorithm;
  ByteView oid;
  if (!spki.read_nested(der_tag::kSequence, algorithm) || !spki.read_bit_string(key_bits) ||
      !spki.empty() || !algorithm.read(der_tag::kOid, oid)) {
    return CaErrc::malformed;
  }
  ParsedKey parsed;
  if (oid_is(oid, x509_oid::kEcPublicKey)) {
    ByteView curve;
    if (!algorithm.read(der_tag::kOid, curve) || !algorithm.empty()) return CaErrc::malformed;
    const char* group = nullptr;
    if (oid_is(curve, x509_oid::kPrime256v1)) {
      group = "P-256";
      parsed.algorithm = KeyAlgorithm::ecdsa_p256;
    } else if (oid_is(curve, x509_oid::kSecp384r1)) {
      group = "P-384";
      parsed.algorithm = KeyAlgorithm::ecdsa_p384;
    } else {
      return CaErrc::unsupported_key;
    }
    auto key = ec_key_from_point(group, key_bits);
    if (!key) return key.error();
    parsed.key = std::move(*key);
    parsed.family = KeyFamily::ec;
    return parsed;
  }
  if (oid_is(oid, x509_oid::kEd25519)) {
    // RFC 8410: parameters absent, a 32-byte key.
    if (!algorithm.empty() || key_bits.size() != 32) return CaErrc::malformed;
    parsed.key.reset(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr,
                                                    as_uchars(key_bits), key_bits.size()));
    if (!parsed.key) return CaErrc::crypto_failure;
    parsed.family = KeyFamily::ed25519;
    parsed.algorithm = KeyAlgorithm::ed25519;
    return parsed;
  }
  if (oid_is(oid, x509_oid::kRsaEncryption)) {
    // RFC 3279: parameters NULL. RSA keys are rare here, so OpenSSL's own decoder does the rest.
    ByteView null_content;
    if (!algorithm.read(der_tag::kNull, null_content) || !null_content.empty() ||
        !algorithm.empty()) {
      return CaErrc::malformed;
    }
    const unsigned char* cursor = as_uchars(spki_whole);
    parsed.key.reset(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(spki_whole.size())));
    if (!parsed.key || cursor != as_uchars(spki_whole) + spki_whole.size())
      return CaErrc::malformed;
    const int bits = EVP_PKEY_get_bits(parsed.key.get());
    if (EVP_PKEY_get_base_id(parsed.key.get()) != EVP_PKEY_RSA || bits < kMinCsrRsaBits ||
        bits > kMaxCsrRsaBits) {
      return CaErrc::unsupported_key;
    }
    parsed.family = KeyFamily::rsa;
    parsed.algorithm = KeyAlgorithm::rsa;
    return parsed;
  }
  return CaErrc::unsupported_key;  // DSA, RSA-PSS, X25519, anything else
}

Result<SignatureAlgorithm> parse_signature_algorithm(ByteView content) {
  DerReader algorithm(content);
  ByteView oid;
  if (!algorithm.read(der_tag::kOid, oid)) return CaErrc::malformed;
  std::optional<SignatureAlgorithm> found;
  if (oid_is(oid, x509_oid::kEcdsaSha256))
    found = SignatureAlgorithm{KeyFamily::ec, DigestKind::sha256};
  if (oid_is(oid, x509_oid::kEcdsaSha384))
    found = SignatureAlgorithm{KeyFamily::ec, DigestKind::sha384};
  if (oid_is(oid, x509_oid::kEcdsaSha512))
    found = SignatureAlgorithm{KeyFamily::ec, DigestKind::sha512};
  if (oid_is(oid, x509_oid::kEd25519)) found = SignatureAlgorithm{KeyFamily::ed25519, std::nullopt};
  if (oid_is(oid, x509_oid::kRsaSha256))
    found = SignatureAlgorithm{KeyFamily::rsa, DigestKind::sha256};
  if (oid_is(oid, x509_oid::kRsaSha384))
    found = SignatureAlgorithm{KeyFamily::rsa, DigestKind::sha384};
  if (oid_is(oid, x509_oid::kRsaSha512))
    found = SignatureAlgorithm{KeyFamily::rsa, DigestKind::sha512};
  if (!found) return CaErrc::unsupported_key;
  if (found->family == KeyFamily::rsa) {
    // RFC 4055 says NULL; absent parameters are also seen in the wild.
    ByteView null_content;
    bool present = false;
    if (!algorithm.read_optional(der_tag::kNull, null_content, present) || !null_content.empty()) {
      return CaErrc::malformed;
    }
  }
  if (!algorithm.empty()) return CaErrc::malformed;  // ECDSA and EdDSA take no parameters
  return *found;
}

}  // namespace

Result<VerifiedCsr> parse_and_verify_csr(std::string_view pem_or_der) {
  if (pem_or_der.empty() || pem_or_der.size() > kMaxCsrBytes) return CaErrc::malformed;
  Bytes der;
  if (static_cast<unsigned char>(pem_or_der.front()) == der_tag::kSequence) {
    der.assign(as_bytes(pem_or_der).begin(), as_bytes(pem_or_der).end());
  } else {
    auto decoded =
        decode_single_pem(pem_or_der, {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"});
    if (!decoded) return decoded.error();
    der = std::move(*decoded);
  }

  // CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }
  // CertificationRequestInfo ::= SEQUENCE { version INTEGER (0), subject Name,
  //                                         subjectPKInfo SubjectPublicKeyInfo, attributes [0] }
  DerReader outer(der);
  DerReader request;
  DerReader info;
  ByteView info_whole;
  ByteView version;
  ByteView ignored;
  ByteView spki_content;
  ByteView spki_whole;
  ByteView signature_algorithm;
  ByteView signature;
  bool attributes_present = false;
  if (!outer.read_nested(der_tag::kSequence, request) || !outer.empty() ||
      !request.read_nested(der_tag::kSequence, info, &info_whole) ||
      !request.read(der_tag::kSequence, signature_algorithm) ||
      !request.read_bit_string(signature) || !request.empty() ||
      !info.read_unsigned_integer(version) || version.size() != 1 || version[0] != std::byte{0} ||
      !info.read(der_tag::kSequence, ignored) ||
      !info.read(der_tag::kSequence, spki_content, &spki_whole) ||
      !info.read_optional(der_tag::context(0, true), ignored, attributes_present) ||
      !info.empty()) {
    return CaErrc::malformed;
  }

  ByteView key_bits;
  auto key = parse_public_key(spki_content, spki_whole, key_bits);
  if (!key) return key.error();
  auto algorithm = parse_signature_algorithm(signature_algorithm);
  if (!algorithm) return algorithm.error();
  if (algorithm->family != key->family) return CaErrc::bad_signature;

  clear_openssl_errors();
  const EVP_MD* md = algorithm->digest ? fetched_digest(*algorithm->digest) : nullptr;
  if (algorithm->digest && md == nullptr) return CaErrc::crypto_failure;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key->key.get()) != 1) {
    return CaErrc::crypto_failure;
  }
  if (EVP_DigestVerify(ctx.get(), as_uchars(signature), signature.size(), as_uchars(info_whole),
                       info_whole.size()) != 1) {
    clear_openssl_errors();
    return CaErrc::bad_signature;
  }

  auto key_identifier = key_identifier_of(key_bits);
  if (!key_identifier) return key_identifier.error();
  VerifiedCsr verified;
  verified.subject_public_key_info.assign(spki_whole.begin(), spki_whole.end());
  verified.subject_key_identifier = std::move(*key_identifier);
  verified.key_algorithm = key->algorithm;
  return verified;
}

}  // namespace jit::ca
