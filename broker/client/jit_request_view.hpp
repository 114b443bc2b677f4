// What `jit` prints about requests and grants (the objects of docs/api.md). Fields the broker did
// not send show as "?" instead of failing: the broker may be newer than this client. Every
// function takes `now` (Unix seconds) for relative times.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jit::broker {

// The string member `key`, or "" when absent or not a string.
[[nodiscard]] std::string text_field(const boost::json::object& object, std::string_view key);
// The integer member `key`, or nullopt when absent, null or not an integer.
[[nodiscard]] std::optional<std::int64_t> int_field(const boost::json::object& object,
                                                    std::string_view key);
// The object member `key` (e.g. a request's "grant"), or nullptr when absent or null.
[[nodiscard]] const boost::json::object* object_field(const boost::json::object& object,
                                                      std::string_view key);

// The system clock in Unix seconds: the thin wrapper the commands read; the functions below take
// `now` as an argument.
[[nodiscard]] std::int64_t unix_now();

// "2025-06-01 12:00:00 UTC".
[[nodiscard]] std::string format_unix_time(std::int64_t seconds);
// "in 42m", "3m ago", "now".
[[nodiscard]] std::string relative_time(std::int64_t seconds, std::int64_t now);

// One request in full: id, role, state, requester, reason, ticket, duration, approvals n/m,
// break-glass facts, each review, and the grant with its end.
[[nodiscard]] std::string describe_request(const boost::json::object& request, std::int64_t now);
// One line per request for lists: id, role, state, approvals n/m, requester, grant id.
[[nodiscard]] std::string request_line(const boost::json::object& request);
// The request's address on the approval page, to print for people: the broker's `link` (its
// configured page origin + "/#request=ID", docs/api.md) when it is a plain https URL for this id,
// else the broker URL's origin + "/#request=ID" (the broker serves the page at GET /; a broker
// older than `link`). Empty when neither is usable (no request id, a broker URL that is not
// https).
[[nodiscard]] std::string request_page_url(const boost::json::object& request,
                                           std::string_view broker_url);

// One line per grant: id, role, state, end.
[[nodiscard]] std::string grant_line(const boost::json::object& grant, std::int64_t now);

}  // namespace jit::broker
