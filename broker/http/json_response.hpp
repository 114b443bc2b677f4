// Building API answers and reading JSON request bodies strictly. Every answer carries the same
// security headers; a body the broker cannot trust is refused with a 4xx JSON error, never parsed
// leniently.
#pragma once

#include "broker/http/http_types.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace jit::broker {

// The headers every answer carries, page or API (the server sets them again on whatever a handler
// built, so none can be forgotten): Content-Security-Policy (same-origin resources only, no
// framing), X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer and
// Strict-Transport-Security.
void add_transport_security_headers(HttpResponse& response);

// The above plus Cache-Control: no-store.
void add_security_headers(HttpResponse& response);

inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; frame-ancestors 'none'";

// Any content type (e.g. Prometheus text, PEM), with the security headers and Content-Length.
[[nodiscard]] HttpResponse text_response(http::status status, std::string body,
                                         std::string_view content_type);

// application/json, serialized compactly.
[[nodiscard]] HttpResponse json_response(http::status status, const boost::json::value& body);

// {"error": message, "code": code}. `message` is for humans and must never hold internal detail.
[[nodiscard]] HttpResponse error_response(http::status status, std::string_view code,
                                          std::string_view message);

inline constexpr std::size_t kDefaultMaxJsonBodyBytes = 64 * 1024;

// Either the parsed top-level object or the complete error answer to send back.
using JsonBodyResult = boost::system::result<boost::json::object, HttpResponse>;

// Reads a request body as one JSON object. Refused, with the answer's "code":
//   415 unsupported_media_type  Content-Type is not application/json (parameters allowed)
//   413 body_too_large          more than max_bytes
//   400 invalid_utf8            the bytes are not valid UTF-8 (also escaped lone surrogates)
//   400 invalid_json            not JSON (syntax, trailing data, empty, nesting deeper than 16)
//   400 duplicate_key           one object names a key twice (Boost.JSON would keep the last)
//   400 expected_object         valid JSON whose top level is not an object
// Use has_value(), operator* and error(); value() is not available for this error type.
[[nodiscard]] JsonBodyResult parse_json_body(const HttpRequest& request,
                                             std::size_t max_bytes = kDefaultMaxJsonBodyBytes);

}  // namespace jit::broker
