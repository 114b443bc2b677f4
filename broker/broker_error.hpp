// Errors of the broker. Each kind means one thing and maps to one HTTP status (Abseil's canonical
// codes); `to_http_status` and `error_code_name` are the one place that mapping lives.
#pragma once

#include "ca/result.hpp"

#include <boost/beast/http/status.hpp>
#include <boost/system/error_code.hpp>

#include <string_view>
#include <type_traits>

namespace jit::broker {

enum class BrokerErrc {
  invalid_input = 1,  // 400: the caller sent something malformed or out of bounds
  unauthenticated,    // 401: no valid session, wrong password or MFA
  permission_denied,  // 403: authenticated, but policy says no
  not_found,          // 404
  conflict,           // 409: wrong state for this action, or a duplicate
  payload_too_large,  // 413
  // 429: too many logins or login challenges, from this source or from everyone. Produced when the
  // password workers' queue is full (IdentityService::login); ApprovalsErrc::rate_limited (the
  // login challenge quota) maps to it. Every 429 is answered by rate_limited_answer
  // (broker/api/auth_api.cpp), which adds Retry-After; the login limiter's refusal goes there too.
  rate_limited,
  unavailable,   // 503: storage full or locked; retry later
  internal,      // 500: our fault; never caused by input
  mfa_required,  // 401: the action needs a second factor in the call (or a fresh session)
  // 409: a TOTP code given on a signed-in session whose 30 s step was already used (at sign-in,
  // or by another call): a valid code that conflicts with the step it spent, not a lost session
  // (401 would tell clients to sign in again; docs/api.md "Errors"). The answer carries
  // `retry_after_seconds` (broker/api/api_support.cpp). Login keeps its one 401 for any failure.
  totp_code_used,
};

const boost::system::error_category& broker_category() noexcept;

inline boost::system::error_code make_error_code(BrokerErrc e) noexcept {
  return {static_cast<int>(e), broker_category()};
}

// HTTP status for any error code of ours (broker, ca, approvals); unknown categories are internal.
boost::beast::http::status to_http_status(const boost::system::error_code& ec) noexcept;

// The snake_case `code` field of a JSON error answer.
std::string_view error_code_name(const boost::system::error_code& ec) noexcept;

}  // namespace jit::broker

template <>
struct boost::system::is_error_code_enum<jit::broker::BrokerErrc> : std::true_type {};
