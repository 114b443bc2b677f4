#include "broker/api/ocsp_api.hpp"
#include "broker/store/db/db_connection.hpp"

#include "broker/http/json_response.hpp"
#include "broker/http/router.hpp"
#include "broker/service/revocation_lists.hpp"
#include "broker/store/store.hpp"
#include "ca/ocsp_responder.hpp"

#include <boost/beast/core/string.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace jit::broker {
namespace {

constexpr std::string_view kRequestType = "application/ocsp-request";
constexpr std::string_view kResponseType = "application/ocsp-response";

// The media type without parameters, as RFC 6960 A.1 names it (any case).
bool is_ocsp_request_type(std::string_view value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return boost::beast::iequals(value, kRequestType);
}

class OcspEndpoint {
 public:
  // issuers[i] has fingerprints[i] (x509_ca_fingerprint, what certificates.ca_key holds for it).
  OcspEndpoint(std::vector<const ca::X509CertificateAuthority*> issuers, Store& store,
               std::vector<std::string> fingerprints)
      : issuers_(std::move(issuers)), store_(store), fingerprints_(std::move(fingerprints)) {}

  HttpResponse answer(ca::ByteView der_request) const {
    const std::size_t issuer = ca::ocsp_request_issuer(der_request, issuers_);
    bool storage_failed = false;
    auto lookup = [&](const ca::X509Serial& serial) {
      try {
        return status_of(serial, fingerprints_[issuer]);
      } catch (const db::Error&) {
        storage_failed = true;
        return ca::OcspCertificateStatus{};
      }
    };
    auto response = ca::ocsp_respond(*issuers_[issuer], der_request, lookup,
                                     std::chrono::system_clock::now(), limits_);
    if (storage_failed) {
      // Never answer "unknown" for a certificate we might have revoked: a client retries a 503.
      return error_response(http::status::service_unavailable, "unavailable",
                            "certificate status cannot be read now; try again");
    }
    if (!response) {
      return error_response(http::status::internal_server_error, "internal_error",
                            "internal error");
    }
    return text_response(http::status::ok, std::string(ca::as_chars(*response)), kResponseType);
  }

  std::size_t max_request_bytes() const { return limits_.max_request_bytes; }

 private:
  ca::OcspCertificateStatus status_of(const ca::X509Serial& serial,
                                      const std::string& fingerprint) const {
    return store_.read([&](db::Connection& db) {
      db::Statement query(db,
                          "SELECT ca_key, revoked_at FROM certificates "
                          "WHERE kind = 'x509' AND serial = ?");
      query.bind(1, serial.hex());
      ca::OcspCertificateStatus status;
      if (!query.step() || query.get_text(0) != fingerprint) return status;
      if (query.is_null(1)) {
        status.status = ca::OcspStatus::good;
      } else {
        status.status = ca::OcspStatus::revoked;
        status.revoked_at =
            std::chrono::system_clock::time_point(std::chrono::seconds(query.get_int64(1)));
      }
      return status;
    });
  }

  std::vector<const ca::X509CertificateAuthority*> issuers_;
  Store& store_;
  std::vector<std::string> fingerprints_;
  ca::OcspResponderLimits limits_;
};

}  // namespace

void add_ocsp_routes(Router& router, const ca::X509CaHierarchy& x509_ca, Store& store) {
  auto fingerprints = x509_issuer_fingerprints(x509_ca);
  if (!fingerprints) throw std::runtime_error("cannot hash the issuing CA certificates");
  std::vector<const ca::X509CertificateAuthority*> issuers{&x509_ca.issuing()};
  for (const auto& previous : x509_ca.previous_issuing()) issuers.push_back(&previous);
  auto endpoint =
      std::make_shared<OcspEndpoint>(std::move(issuers), store, std::move(*fingerprints));
  router.add(http::verb::post, "/v1/ca/x509/ocsp",
             [endpoint](RequestContext&& context, Responder respond) {
               if (!is_ocsp_request_type(context.request[http::field::content_type])) {
                 return respond(
                     error_response(http::status::unsupported_media_type, "unsupported_media_type",
                                    "the request body must be application/ocsp-request"));
               }
               const std::string& body = context.request.body();
               if (body.size() > endpoint->max_request_bytes()) {
                 return respond(error_response(http::status::payload_too_large, "body_too_large",
                                               "the OCSP request is too large"));
               }
               respond(endpoint->answer(ca::as_bytes(body)));
             });
  router.add(http::verb::get, "/v1/ca/x509/ocsp/{request*}",
             [endpoint](RequestContext&& context, Responder respond) {
               // The router has percent-decoded it; what does not decode as base64 within the
               // size bound is answered as malformedRequest by the responder (empty input).
               const std::string& encoded = context.params.at("request");
               ca::Bytes der;
               if (encoded.size() > (endpoint->max_request_bytes() + 2) / 3 * 4 ||
                   !ca::base64_decode(encoded, der)) {
                 der.clear();
               }
               respond(endpoint->answer(der));
             });
}

}  // namespace jit::broker
