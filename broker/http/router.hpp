// Routing by method and path pattern. A pattern is literal segments and whole-segment parameters:
// "/v1/requests/{id}/approve". A parameter written "{name*}" may hold an escaped '/' (%2F) once
// decoded, for opaque values such as the base64 of an OCSP GET (RFC 6960 appendix A). Request
// handling never sees a socket: a handler gets the request and a Responder, so the API can be
// tested without a server and can answer later, from any thread (e.g. after a group commit of
// durable writes).
#pragma once

#include "broker/http/http_types.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jit::broker {

// What the access log line of one request says beyond what the session knows itself: the request
// id (also the X-Request-Id answer header) and the authenticated user, which the `authenticated`
// wrapper (broker/api/api_support.hpp) records before the handler answers. Shared between the
// session and the handler; written only before the answer, read only after it.
struct RequestLog {
  std::string id;
  std::string user;  // empty until known; a name, never a token
};

struct RequestContext {
  HttpRequest request;
  // Path parameters by name, percent-decoded. Each is printable ASCII without ".." and, unless
  // its pattern is "{name*}", without '/'.
  std::map<std::string, std::string, std::less<>> params;
  std::string remote_ip;
  // The matched pattern ("/v1/requests/{id}"), for metrics and logs; empty when nothing matched.
  // Points into the Router, which outlives every request it dispatches.
  std::string_view route;
  // Null for requests made without a session (unit tests).
  std::shared_ptr<RequestLog> log;

  // The first value of `key` in the query string, percent-decoded with '+' as a space; empty when
  // absent. The router has already refused a malformed query string.
  [[nodiscard]] std::string query(std::string_view key) const;
  [[nodiscard]] bool has_query(std::string_view key) const;
};

// Call exactly once, from any thread. Later calls are ignored.
using Responder = std::function<void(HttpResponse)>;
using Handler = std::function<void(RequestContext&&, Responder)>;

class Router {
 public:
  // Start-up only (not thread-safe with dispatch). Throws std::invalid_argument for a malformed
  // pattern and std::logic_error for a method and pattern added twice.
  void add(http::verb method, std::string_view pattern, Handler handler);

  // Answers through `respond`:
  //   400 invalid_path      target not origin-form, non-ASCII or control bytes, "//", "." or ".."
  //                         segments, bad percent-encoding, or a parameter holding '/', NUL, ".."
  //   404 not_found         no pattern matches the path
  //   405 method_not_allowed  the path matches, the method does not (with an Allow header)
  //   500 internal_error    the handler threw (without detail); never for malformed input
  // Otherwise the handler answers. Returns the matched pattern (empty when none) for metrics.
  std::string_view dispatch(RequestContext&& context, const Responder& respond) const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter's name
    bool is_param = false;
    bool allows_slash = false;  // "{name*}": an escaped '/' is allowed in the decoded value
  };
  struct Route {
    http::verb method;
    std::string pattern;
    std::vector<Segment> segments;
    std::size_t literal_count = 0;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace jit::broker
