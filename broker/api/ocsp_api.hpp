// OCSP over HTTP (RFC 6960 appendix A) for the issuing CA's client certificates, without
// authentication (relying parties ask):
//   POST /v1/ca/x509/ocsp          body: the DER OCSPRequest, Content-Type application/ocsp-request
//                                  (else 415 unsupported_media_type), at most 16 KiB (else 413
//                                  body_too_large)
//   GET  /v1/ca/x509/ocsp/{b64}    the URL-encoded base64 of the DER OCSPRequest
// Both answer 200 application/ocsp-response, signed by the issuing CA; a request that does not
// parse gets OCSP's own malformedRequest answer. The status comes from the certificates table at
// the time of the request, so a revocation committed by any process is answered "revoked" at once;
// a serial the broker never issued under the issuing CA the request names is "unknown". After a
// rotation the previous issuing CAs answer for their own certificates (the request's issuer name
// and key hash choose which CA signs the answer). Answers carry Cache-Control: no-store (a cached
// "good" would hide a revocation).
#pragma once

namespace jit::ca {
class X509CaHierarchy;
}

namespace jit::broker {

class Router;
class Store;

// Throws std::runtime_error when an issuing CA certificate cannot be hashed. `x509_ca` must
// outlive the router.
void add_ocsp_routes(Router& router, const ca::X509CaHierarchy& x509_ca, Store& store);

}  // namespace jit::broker
