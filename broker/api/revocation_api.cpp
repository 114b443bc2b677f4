#include "broker/api/revocation_api.hpp"

#include "broker/http/json_response.hpp"
#include "broker/http/router.hpp"
#include "broker/workers/revocation_publisher.hpp"

namespace jit::broker {
namespace {

constexpr std::string_view kCacheControl = "no-cache";

bool is_ows(char c) { return c == ' ' || c == '\t'; }

// One field value: "*" or a comma-separated list of [W/]"opaque". False at the first malformed
// element (RFC 9110 lets a server ignore a field it cannot parse).
bool list_matches(std::string_view list, std::string_view etag) {
  std::size_t at = 0;
  for (;;) {
    while (at < list.size() && (is_ows(list[at]) || list[at] == ',')) ++at;
    if (at == list.size()) return false;
    if (list[at] == '*') return true;
    if (list.compare(at, 2, "W/") == 0) at += 2;
    if (at == list.size() || list[at] != '"') return false;
    const std::size_t close = list.find('"', at + 1);
    if (close == std::string_view::npos) return false;
    if (list.substr(at, close + 1 - at) == etag) return true;
    at = close + 1;
  }
}

HttpResponse list_answer(const HttpRequest& request, const std::string& body,
                         const std::string& etag, std::string_view content_type) {
  if (if_none_match_matches(request, etag)) {
    HttpResponse response(http::status::not_modified, 11);
    add_security_headers(response);
    response.set(http::field::etag, etag);
    response.set(http::field::cache_control, kCacheControl);
    response.prepare_payload();  // a 304 has no body and no Content-Length
    return response;
  }
  HttpResponse response = text_response(http::status::ok, body, content_type);
  response.set(http::field::etag, etag);
  response.set(http::field::cache_control, kCacheControl);  // replaces no-store
  return response;
}

HttpResponse not_published() {
  return error_response(http::status::service_unavailable, "unavailable",
                        "the revocation lists are not published yet; try again");
}

}  // namespace

bool if_none_match_matches(const HttpRequest& request, std::string_view etag) {
  const auto [first, last] = request.equal_range(http::field::if_none_match);
  for (auto it = first; it != last; ++it) {
    const auto value = it->value();
    if (list_matches(std::string_view(value.data(), value.size()), etag)) return true;
  }
  return false;
}

void add_revocation_routes(Router& router, const RevocationPublisher& publisher) {
  router.add(
      http::verb::get, "/v1/ca/ssh/krl", [&publisher](RequestContext&& context, Responder respond) {
        const auto snapshot = publisher.snapshot();
        if (!snapshot) return respond(not_published());
        const PublishedKrl& krl = *snapshot->krl;
        respond(list_answer(context.request, krl.bytes, krl.etag, "application/octet-stream"));
      });
  router.add(
      http::verb::get, "/v1/ca/x509/crl",
      [&publisher](RequestContext&& context, Responder respond) {
        const std::string format = context.has_query("format") ? context.query("format") : "der";
        if (format != "der" && format != "pem" && format != "pem-bundle") {
          return respond(error_response(http::status::bad_request, "invalid_format",
                                        "format must be der, pem or pem-bundle"));
        }
        const auto snapshot = publisher.snapshot();
        if (!snapshot) return respond(not_published());
        const PublishedCrls& crls = *snapshot->crls;
        if (context.has_query("issuer")) {
          // The CRL distribution point of each certificate names its issuing CA this way.
          if (format != "der") {
            return respond(error_response(http::status::bad_request, "invalid_format",
                                          "issuer= serves the DER CRL only"));
          }
          const std::string issuer = context.query("issuer");
          for (const auto& crl : crls.by_issuer) {
            if (crl.fingerprint == issuer) {
              return respond(
                  list_answer(context.request, crl.der, crl.etag, "application/pkix-crl"));
            }
          }
          return respond(error_response(http::status::not_found, "unknown_issuer",
                                        "no published issuing CA has that fingerprint"));
        }
        if (format == "pem") {
          return respond(
              list_answer(context.request, crls.pem, crls.pem_etag, "application/x-pem-file"));
        }
        if (format == "pem-bundle") {
          return respond(list_answer(context.request, crls.bundle_pem, crls.bundle_etag,
                                     "application/x-pem-file"));
        }
        respond(list_answer(context.request, crls.der, crls.der_etag, "application/pkix-crl"));
      });
}

}  // namespace jit::broker
