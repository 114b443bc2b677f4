#include "ca/ocsp_responder.hpp"

#include "ca/openssl_handles.hpp"
#include "ca/private_key.hpp"
#include "ca/x509_der.hpp"
#include "ca/x509_digest.hpp"

#include <algorithm>
#include <array>

namespace jit::ca {
namespace {

using std::chrono::system_clock;

Result<Bytes> encode_response(const OCSP_RESPONSE* response) {
  const int length = i2d_OCSP_RESPONSE(response, nullptr);
  if (length <= 0) return CaErrc::crypto_failure;
  Bytes out(static_cast<std::size_t>(length));
  auto* cursor = reinterpret_cast<unsigned char*>(out.data());
  if (i2d_OCSP_RESPONSE(response, &cursor) != length) return CaErrc::crypto_failure;
  return out;
}

Result<Bytes> status_only_response(int status) {
  clear_openssl_errors();
  OcspResponsePtr response(OCSP_response_create(status, nullptr));
  if (!response) return CaErrc::crypto_failure;
  return encode_response(response.get());
}

Result<Asn1TimePtr> asn1_time(system_clock::time_point t) {
  Asn1TimePtr time(ASN1_TIME_set(nullptr, system_clock::to_time_t(t)));
  if (!time) return CaErrc::crypto_failure;
  return time;
}

// Our issuer's CertID (name hash and key hash, no serial) under SHA-1 and SHA-256, the two
// hashes clients use.
Result<std::array<OcspCertIdPtr, 2>> issuer_ids(const X509CertificateAuthority& issuer) {
  std::array<OcspCertIdPtr, 2> ids;
  ids[0].reset(OCSP_cert_to_id(fetched_digest(DigestKind::sha1), nullptr, issuer.certificate()));
  ids[1].reset(OCSP_cert_to_id(fetched_digest(DigestKind::sha256), nullptr, issuer.certificate()));
  if (!ids[0] || !ids[1]) return CaErrc::crypto_failure;
  return ids;
}

OcspCertificateStatus look_up(const std::array<OcspCertIdPtr, 2>& ours, OCSP_CERTID* id,
                              const OcspStatusLookup& lookup) {
  bool same_issuer = false;
  for (const OcspCertIdPtr& mine : ours)
    same_issuer = same_issuer || OCSP_id_issuer_cmp(mine.get(), id) == 0;
  ASN1_INTEGER* serial_number = nullptr;
  if (!same_issuer || OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial_number, id) != 1 ||
      serial_number == nullptr || ASN1_STRING_type(serial_number) != V_ASN1_INTEGER) {
    return {};  // another issuer, or a negative serial we never issue
  }
  auto serial = X509Serial::from_bytes(
      ByteView(reinterpret_cast<const std::byte*>(ASN1_STRING_get0_data(serial_number)),
               static_cast<std::size_t>(ASN1_STRING_length(serial_number))));
  if (!serial) return {};
  return lookup(*serial);
}

// A key of a token cannot go into OCSP_basic_sign, and OpenSSL 3.0 offers no public way to set
// an OCSP_BASICRESP's responder ID or signature. So for a token key the response is signed with a
// throw-away in-memory key first (which fills responderID byKey and producedAt), then its
// ResponseData is re-signed by the CA's signer with the placeholder key hash replaced by the CA's
// (both SHA-1, so no length changes), and BasicOCSPResponse and OCSPResponse are written here
// (RFC 6960 4.2.1; why: docs/architecture.md "CA signers"). The structure is what OpenSSL writes.
struct OcspPlaceholder {
  EvpPkeyPtr key;
  X509Ptr certificate;
  Bytes key_hash;  // SHA-1 of the placeholder's public key bits: the responderID byKey
};

const OcspPlaceholder* ocsp_placeholder() {
  static const OcspPlaceholder placeholder = [] {
    OcspPlaceholder made;
    auto key = generate_private_key(KeyAlgorithm::ed25519);
    if (!key) return made;
    X509Ptr certificate(X509_new());
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!certificate || X509_set_pubkey(certificate.get(), key->get()) != 1 ||
        X509_pubkey_digest(certificate.get(), EVP_sha1(), hash, &length) != 1) {
      return made;
    }
    const auto* bytes = reinterpret_cast<const std::byte*>(hash);
    made.key_hash.assign(bytes, bytes + length);
    made.key = std::move(*key);
    made.certificate = std::move(certificate);
    return made;
  }();
  return placeholder.certificate ? &placeholder : nullptr;
}

Result<Bytes> sign_with_signer(const X509CertificateAuthority& issuer, OCSP_BASICRESP* basic) {
  const OcspPlaceholder* placeholder = ocsp_placeholder();
  if (placeholder == nullptr ||
      OCSP_basic_sign(basic, placeholder->certificate.get(), placeholder->key.get(), nullptr,
                      nullptr, OCSP_NOCERTS | OCSP_RESPID_KEY) != 1) {
    return CaErrc::crypto_failure;
  }
  const OCSP_RESPDATA* data = OCSP_resp_get0_respdata(basic);
  const int length = i2d_OCSP_RESPDATA(data, nullptr);
  if (length <= 0) return CaErrc::crypto_failure;
  Bytes tbs(static_cast<std::size_t>(length));
  auto* cursor = reinterpret_cast<unsigned char*>(tbs.data());
  if (i2d_OCSP_RESPDATA(data, &cursor) != length) return CaErrc::crypto_failure;
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int hash_length = 0;
  if (X509_pubkey_digest(issuer.certificate(), EVP_sha1(), hash, &hash_length) != 1 ||
      hash_length != placeholder->key_hash.size()) {
    return CaErrc::crypto_failure;
  }
  // responderID is ResponseData's first element (version v1 is left out): [2] { OCTET STRING }.
  Bytes pattern{std::byte{0xA2}, std::byte{0x16}, std::byte{0x04}, std::byte{0x14}};
  pattern.insert(pattern.end(), placeholder->key_hash.begin(), placeholder->key_hash.end());
  const auto found = std::search(tbs.begin(), tbs.end(), pattern.begin(), pattern.end());
  if (found == tbs.end() || found - tbs.begin() > 6) return CaErrc::crypto_failure;
  std::copy(reinterpret_cast<const std::byte*>(hash),
            reinterpret_cast<const std::byte*>(hash) + hash_length, found + 4);
  auto basic_der = issuer.sign_structure(tbs);
  if (!basic_der) return basic_der.error();
  // OCSPResponse { responseStatus successful, [0] EXPLICIT ResponseBytes { id-pkix-ocsp-basic,
  // OCTET STRING BasicOCSPResponse } }.
  static constexpr std::array<unsigned char, 9> kOcspBasic{0x2B, 0x06, 0x01, 0x05, 0x05,
                                                           0x07, 0x30, 0x01, 0x01};
  DerWriter out;
  out.open(der_tag::kSequence);
  out.element(der_tag::kEnumerated, Bytes{std::byte{0}});
  out.open(der_tag::context(0, true));
  out.open(der_tag::kSequence);
  out.element(der_tag::kOid,
              ByteView(reinterpret_cast<const std::byte*>(kOcspBasic.data()), kOcspBasic.size()));
  out.element(der_tag::kOctetString, *basic_der);
  out.close();
  out.close();
  out.close();
  return out.take();
}

}  // namespace

Result<Bytes> ocsp_respond(const X509CertificateAuthority& issuer, ByteView der_request,
                           const OcspStatusLookup& lookup, system_clock::time_point now,
                           const OcspResponderLimits& limits) {
  clear_openssl_errors();
  if (der_request.empty() || der_request.size() > limits.max_request_bytes) {
    return status_only_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  }
  const unsigned char* cursor = as_uchars(der_request);
  OcspRequestPtr request(d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(der_request.size())));
  const int count = request ? OCSP_request_onereq_count(request.get()) : 0;
  if (!request || cursor != as_uchars(der_request) + der_request.size() || count <= 0 ||
      static_cast<std::size_t>(count) > limits.max_certificates) {
    clear_openssl_errors();
    return status_only_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  }

  auto ours = issuer_ids(issuer);
  if (!ours) return ours.error();
  auto this_update = asn1_time(now);
  auto next_update = asn1_time(now + limits.validity);
  if (!this_update || !next_update) return CaErrc::crypto_failure;
  OcspBasicRespPtr basic(OCSP_BASICRESP_new());
  if (!basic) return CaErrc::crypto_failure;
  for (int i = 0; i < count; ++i) {
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(request.get(), i));
    const OcspCertificateStatus status = look_up(*ours, id, lookup);
    int code = V_OCSP_CERTSTATUS_UNKNOWN;
    int reason = OCSP_REVOKED_STATUS_NOSTATUS;
    Asn1TimePtr revoked_at;
    if (status.status == OcspStatus::good) code = V_OCSP_CERTSTATUS_GOOD;
    if (status.status == OcspStatus::revoked) {
      code = V_OCSP_CERTSTATUS_REVOKED;
      if (status.reason != CrlReason::unspecified) reason = static_cast<int>(status.reason);
      auto at = asn1_time(status.revoked_at);
      if (!at) return at.error();
      revoked_at = std::move(*at);
    }
    if (OCSP_basic_add1_status(basic.get(), id, code, reason, revoked_at.get(), this_update->get(),
                               next_update->get()) == nullptr) {
      return CaErrc::crypto_failure;
    }
  }
  if (OCSP_copy_nonce(basic.get(), request.get()) <= 0) return CaErrc::crypto_failure;
  if (issuer.signer() != nullptr) return sign_with_signer(issuer, basic.get());
  // OCSP_basic_sign takes non-const pointers but only reads the certificate (its name and key
  // hash) and signs with the key; OCSP_NOCERTS keeps it from adding the certificate to the
  // response.
  const EVP_MD* md = nullptr;  // Ed25519 hashes internally
  switch (issuer.key_algorithm()) {
    case KeyAlgorithm::ed25519:
      break;
    case KeyAlgorithm::ecdsa_p384:
      md = fetched_digest(DigestKind::sha384);
      break;
    case KeyAlgorithm::ecdsa_p521:
      md = fetched_digest(DigestKind::sha512);
      break;
    case KeyAlgorithm::ecdsa_p256:
    case KeyAlgorithm::rsa:
      md = fetched_digest(DigestKind::sha256);
      break;
  }
  if (OCSP_basic_sign(basic.get(), const_cast<X509*>(issuer.certificate()), issuer.signing_key(),
                      md, nullptr, OCSP_NOCERTS | OCSP_RESPID_KEY) != 1) {
    return CaErrc::crypto_failure;
  }
  OcspResponsePtr response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  if (!response) return CaErrc::crypto_failure;
  return encode_response(response.get());
}

std::size_t ocsp_request_issuer(ByteView der_request,
                                std::span<const X509CertificateAuthority* const> issuers) {
  if (issuers.size() < 2 || der_request.empty()) return 0;
  clear_openssl_errors();
  const unsigned char* cursor = as_uchars(der_request);
  OcspRequestPtr request(d2i_OCSP_REQUEST(nullptr, &cursor, static_cast<long>(der_request.size())));
  if (!request || OCSP_request_onereq_count(request.get()) <= 0) {
    clear_openssl_errors();
    return 0;
  }
  OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(request.get(), 0));
  for (std::size_t i = 0; i < issuers.size(); ++i) {
    auto ids = issuer_ids(*issuers[i]);
    if (!ids) continue;
    for (const OcspCertIdPtr& mine : *ids) {
      if (OCSP_id_issuer_cmp(mine.get(), id) == 0) return i;
    }
  }
  return 0;
}

}  // namespace jit::ca
