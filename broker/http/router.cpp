#include "broker/http/router.hpp"

#include "broker/caught_exception.hpp"
#include "broker/http/json_response.hpp"
#include "broker/log.hpp"
#include "broker/store/db/db_connection.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>

namespace jit::broker {
namespace {

// No route is this deep; a longer path cannot match anything.
constexpr std::size_t kMaxSegments = 16;

struct SplitPath {
  std::array<std::string_view, kMaxSegments> segments;
  std::size_t count = 0;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes (and '+' as a space in query strings). False for a truncated or non-hex
// escape; `out` is then unspecified.
bool percent_decode(std::string_view in, bool plus_as_space, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return false;
      const int high = hex_value(in[i + 1]);
      const int low = hex_value(in[i + 2]);
      if (high < 0 || low < 0) return false;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

// Visible ASCII only: no space, control or non-ASCII byte may appear raw in a target.
bool is_visible_ascii(std::string_view text) {
  for (const char c : text) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

bool has_valid_escapes(std::string_view text, bool allow_nul) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') continue;
    if (text.size() - i < 3) return false;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return false;
    if (!allow_nul && high == 0 && low == 0) return false;
    i += 2;
  }
  return true;
}

// A decoded path parameter: printable ASCII, no '/' (unless the pattern allows it), no "..".
bool is_safe_param(std::string_view value, bool allows_slash) {
  for (const char c : value) {
    if (c < 0x20 || c > 0x7E || (c == '/' && !allows_slash)) return false;
  }
  return value.find("..") == std::string_view::npos;
}

enum class PathVerdict { ok, invalid, too_deep };

// "/a/b" -> {"a", "b"}; "/" -> {""}. An empty segment is allowed only last (a trailing slash).
PathVerdict split_path(std::string_view path, SplitPath& out) {
  if (path.empty() || path.front() != '/') return PathVerdict::invalid;
  std::string_view rest = path.substr(1);
  out.count = 0;
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment == "." || segment == "..") return PathVerdict::invalid;
    if (segment.empty() && slash != std::string_view::npos) return PathVerdict::invalid;
    if (out.count == kMaxSegments) return PathVerdict::too_deep;
    out.segments[out.count++] = segment;
    if (slash == std::string_view::npos) return PathVerdict::ok;
    rest.remove_prefix(slash + 1);
  }
}

bool is_param_name(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool is_literal_segment(std::string_view text) {
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~';
    if (!ok) return false;
  }
  return true;
}

// Every literal equal and every parameter segment non-empty. (A template only because the segment
// type is private to Router.)
template <typename Segments>
bool path_matches(const Segments& segments, const SplitPath& path) {
  if (segments.size() != path.count) return false;
  for (std::size_t i = 0; i < path.count; ++i) {
    const auto& segment = segments[i];
    if (segment.is_param ? path.segments[i].empty() : segment.text != path.segments[i]) {
      return false;
    }
  }
  return true;
}

HttpResponse invalid_path() {
  return error_response(http::status::bad_request, "invalid_path", "the request path is invalid");
}

}  // namespace

std::string RequestContext::query(std::string_view key) const {
  const std::string_view target = request.target();
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view rest = target.substr(question + 1);
  std::string name, value;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const std::size_t equals = pair.find('=');
    if (!percent_decode(pair.substr(0, equals), true, name) || name != key) continue;
    if (equals == std::string_view::npos) return {};
    if (!percent_decode(pair.substr(equals + 1), true, value)) return {};
    return value;
  }
  return {};
}

bool RequestContext::has_query(std::string_view key) const {
  const std::string_view target = request.target();
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return false;
  std::string_view rest = target.substr(question + 1);
  std::string name;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (percent_decode(pair.substr(0, pair.find('=')), true, name) && name == key) return true;
  }
  return false;
}

void Router::add(http::verb method, std::string_view pattern, Handler handler) {
  if (!handler) throw std::invalid_argument("route " + std::string(pattern) + " has no handler");
  SplitPath split;
  if (split_path(pattern, split) != PathVerdict::ok) {
    throw std::invalid_argument("malformed route pattern " + std::string(pattern));
  }
  Route route{method, std::string(pattern), {}, 0, std::move(handler)};
  for (std::size_t i = 0; i < split.count; ++i) {
    const std::string_view segment = split.segments[i];
    if (segment.size() >= 2 && segment.front() == '{' && segment.back() == '}') {
      std::string_view name = segment.substr(1, segment.size() - 2);
      const bool allows_slash = name.ends_with('*');
      if (allows_slash) name.remove_suffix(1);
      for (const Segment& earlier : route.segments) {
        if (earlier.is_param && earlier.text == name) {
          throw std::invalid_argument("route pattern names a parameter twice: " + route.pattern);
        }
      }
      if (!is_param_name(name)) {
        throw std::invalid_argument("malformed route parameter in " + route.pattern);
      }
      route.segments.push_back({std::string(name), true, allows_slash});
    } else {
      if (!is_literal_segment(segment)) {
        throw std::invalid_argument("malformed route pattern " + route.pattern);
      }
      route.segments.push_back({std::string(segment), false, false});
      ++route.literal_count;
    }
  }
  for (const Route& other : routes_) {
    if (other.method != method || other.segments.size() != route.segments.size()) continue;
    bool same_shape = true;
    for (std::size_t i = 0; i < route.segments.size() && same_shape; ++i) {
      const Segment& a = other.segments[i];
      const Segment& b = route.segments[i];
      same_shape = a.is_param == b.is_param && (a.is_param || a.text == b.text);
    }
    if (same_shape) throw std::logic_error("route added twice: " + route.pattern);
  }
  routes_.push_back(std::move(route));
}

std::string_view Router::dispatch(RequestContext&& context, const Responder& respond) const {
  const std::string_view target = context.request.target();
  if (target.find('#') != std::string_view::npos || !is_visible_ascii(target)) {
    respond(invalid_path());
    return {};
  }
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  if (question != std::string_view::npos &&
      !has_valid_escapes(target.substr(question + 1), false)) {
    respond(invalid_path());
    return {};
  }
  SplitPath split;
  const PathVerdict verdict = split_path(path, split);
  if (verdict == PathVerdict::invalid || !has_valid_escapes(path, false)) {
    respond(invalid_path());
    return {};
  }

  const Route* best = nullptr;
  bool path_matched = false;
  if (verdict == PathVerdict::ok) {
    for (const Route& route : routes_) {
      if (!path_matches(route.segments, split)) continue;
      path_matched = true;
      if (route.method == context.request.method() &&
          (best == nullptr || route.literal_count > best->literal_count)) {
        best = &route;
      }
    }
  }
  if (best == nullptr && !path_matched) {
    respond(error_response(http::status::not_found, "not_found", "no such resource"));
    return {};
  }
  // Parameters are checked before the method, so a malformed one is 400 whatever the method.
  const Route& matched =
      best != nullptr ? *best : *std::find_if(routes_.begin(), routes_.end(), [&](const Route& r) {
        return path_matches(r.segments, split);
      });
  for (std::size_t i = 0; i < split.count; ++i) {
    const Segment& segment = matched.segments[i];
    if (!segment.is_param) continue;
    std::string value;
    if (!percent_decode(split.segments[i], false, value) ||
        !is_safe_param(value, segment.allows_slash)) {
      respond(invalid_path());
      return {};
    }
    if (best != nullptr) context.params.insert_or_assign(segment.text, std::move(value));
  }
  if (best == nullptr) {
    std::vector<http::verb> allowed;
    std::string allow;
    for (const Route& route : routes_) {
      if (!path_matches(route.segments, split)) continue;
      if (std::find(allowed.begin(), allowed.end(), route.method) != allowed.end()) continue;
      allowed.push_back(route.method);
      if (!allow.empty()) allow += ", ";
      allow += http::to_string(route.method);
    }
    HttpResponse response = error_response(http::status::method_not_allowed, "method_not_allowed",
                                           "method not allowed here");
    response.set(http::field::allow, allow);
    respond(std::move(response));
    return {};
  }

  context.route = best->pattern;
  // The session keeps the RequestLog alive; the handler may move the context away.
  const RequestLog* request_log = context.log.get();
  try {
    best->handler(std::move(context), respond);
  } catch (const db::Error& e) {
    // A read that found the database unreachable or busy (a PostgreSQL restart, failover or lock
    // timeout) is the database's state, not a bug: 503, which clients and load balancers retry.
    // Nothing was written: writes go through the store's writer, which answers with an error code.
    const auto ec = e.code();
    log_event(ec == BrokerErrc::unavailable ? LogLevel::warning : LogLevel::error,
              "handler_database_error",
              {{"request_id", request_log != nullptr ? std::string_view(request_log->id) : ""},
               {"route", best->pattern},
               {"error", e.what()}});
    respond(ec == BrokerErrc::unavailable
                ? error_response(http::status::service_unavailable, "unavailable",
                                 "the database is unavailable; try again shortly")
                : error_response(http::status::internal_server_error, "internal_error",
                                 "internal error"));
  } catch (...) {
    // A handler bug must not take the server down, and its detail must not reach the client; the
    // operator's log gets the route and what was thrown (never the request).
    log_event(LogLevel::error, "handler_threw",
              {{"request_id", request_log != nullptr ? std::string_view(request_log->id) : ""},
               {"route", best->pattern},
               {"error", describe_current_exception()}});
    respond(
        error_response(http::status::internal_server_error, "internal_error", "internal error"));
  }
  return best->pattern;
}

}  // namespace jit::broker
