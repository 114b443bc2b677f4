// Revocation lists, served without authentication (relying parties fetch them), from the
// publisher's current snapshot (never built per request):
//   GET /v1/ca/ssh/krl   application/octet-stream: the OpenSSH KRL for sshd's RevokedKeys
//   GET /v1/ca/x509/crl  application/pkix-crl: the issuing CA's DER CRL;
//                        ?format=pem         its PEM (application/x-pem-file)
//                        ?format=pem-bundle  its PEM, then the root's CRL PEM (nginx ssl_crl)
//                        ?format=der         the default, named
//                        any other format: 400 invalid_format
// Each answer has a strong ETag and "Cache-Control: no-cache" (a cache may keep the list but must
// revalidate it every time, so a new revocation is never served stale; the lists are public, so
// no-store would only waste the ETag). A matching If-None-Match gets 304 Not Modified. Before the
// first list is published: 503 unavailable.
#pragma once

#include "broker/http/http_types.hpp"

#include <string_view>

namespace jit::broker {

class Router;
class RevocationPublisher;

void add_revocation_routes(Router& router, const RevocationPublisher& publisher);

// RFC 9110 13.1.2: true when an If-None-Match field lists `etag` (weak comparison, so W/"x"
// matches "x") or is "*". A malformed field matches nothing (the full answer is sent).
[[nodiscard]] bool if_none_match_matches(const HttpRequest& request, std::string_view etag);

}  // namespace jit::broker
