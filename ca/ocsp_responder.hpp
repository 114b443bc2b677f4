// OCSP responder core (RFC 6960) for certificates of one issuing CA, which signs the responses
// itself (no delegated responder certificate). The HTTP edge (POST body or GET base64 path) lives
// in the broker; this turns request bytes and a status lookup into response bytes.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"
#include "ca/crl_builder.hpp"
#include "ca/x509_certificate_authority.hpp"
#include "ca/x509_serial.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>

namespace jit::ca {

enum class OcspStatus { good, revoked, unknown };

struct OcspCertificateStatus {
  OcspStatus status = OcspStatus::unknown;
  std::chrono::system_clock::time_point revoked_at;  // for revoked
  CrlReason reason = CrlReason::unspecified;         // for revoked; unspecified is left out
};

// Called once per certificate in the request that names our issuing CA, from the calling thread.
// The broker answers from its certificates table: unknown for serials it never issued.
using OcspStatusLookup = std::function<OcspCertificateStatus(const X509Serial& serial)>;

struct OcspResponderLimits {
  std::size_t max_request_bytes = 16 * 1024;
  std::size_t max_certificates = 16;
  // nextUpdate = now + this; thisUpdate = now.
  std::chrono::seconds validity = std::chrono::minutes(5);
};

// The DER OCSPResponse to send back (application/ocsp-response). Requests that do not parse, are
// too large, name no certificate or too many get a "malformedRequest" response (still a success of
// this function). A certificate ID for another issuer, or a serial our lookup does not know, is
// answered "unknown". A request nonce is copied into the response. Responses are signed by the
// issuing CA with its key identifier as responder ID and no extra certificates. producedAt is
// OpenSSL's clock (OCSP_basic_sign sets it), thisUpdate/nextUpdate come from `now`.
// crypto_failure only when signing fails. Thread-safe.
[[nodiscard]] Result<Bytes> ocsp_respond(const X509CertificateAuthority& issuer,
                                         ByteView der_request, const OcspStatusLookup& lookup,
                                         std::chrono::system_clock::time_point now,
                                         const OcspResponderLimits& limits = {});

// After a rotation several issuing CAs answer (docs/operations.md "CA rotation"): the index in
// `issuers` of the one the request's first certificate ID names (issuer name and key hash, SHA-1
// or SHA-256), so that it signs the answer; 0 when none does or the request does not parse (the
// first issuer then answers "unknown" or malformedRequest as ocsp_respond does).
[[nodiscard]] std::size_t ocsp_request_issuer(
    ByteView der_request, std::span<const X509CertificateAuthority* const> issuers);

}  // namespace jit::ca
