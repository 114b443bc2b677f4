// Errors of the approvals/ library. Each code means one thing, so a test can assert exactly which
// check refused an input. The broker does not need every code: ApprovalsFailure groups them into
// the few classes an HTTP answer distinguishes (compare with `ec ==
// ApprovalsFailure::unauthenticated`). Messages are generic and safe to log; the broker still shows
// clients only its own fixed texts.
#pragma once

#include "ca/result.hpp"

#include <boost/system/error_code.hpp>
#include <boost/system/error_condition.hpp>

#include <type_traits>

namespace jit::approvals {

enum class ApprovalsErrc {
  invalid_input = 1,   // bytes, text or JSON from outside that do not parse, or break a format rule
  unsupported,         // a well-formed algorithm, key type or attestation format we refuse
  unauthenticated,     // a wrong password, TOTP code or signature
  replayed,            // a TOTP step or a challenge that was already used
  expired,             // a challenge older than its lifetime
  locked,              // the account is locked after repeated failures
  origin_mismatch,     // clientDataJSON origin is not ours, or the call came from another origin
  rp_id_mismatch,      // authenticatorData rpIdHash is not SHA-256 of our RP ID
  wrong_ceremony,      // clientDataJSON type is not the one this ceremony expects
  challenge_mismatch,  // the challenge is not one we issued for this purpose and user
  user_not_present,    // the UP flag is not set
  user_not_verified,   // UV is required by configuration and the flag is not set
  counter_regressed,   // the signature counter did not grow: the credential may be cloned
  credential_mismatch,  // the credential id or user handle is not the one on record
  unavailable,          // a bounded store is full; retry later
  internal_error,       // OpenSSL or the RNG failed on valid input: a fault on our side
  rate_limited,         // this caller's (name's or source's) quota is used up; retry later
  unknown_key,          // a signed token names a key id the key set does not hold (yet)
};

// The classes of failure a caller maps to an answer (HTTP 400, 401, 423/429, 503, 500).
enum class ApprovalsFailure {
  bad_request = 1,  // invalid_input, unsupported
  unauthenticated,  // every verification failure, replay and expiry
  locked,           // locked
  unavailable,      // unavailable
  internal,         // internal_error
  rate_limited,     // rate_limited
};

const boost::system::error_category& approvals_category() noexcept;
const boost::system::error_category& approvals_failure_category() noexcept;

inline boost::system::error_code make_error_code(ApprovalsErrc e) noexcept {
  return {static_cast<int>(e), approvals_category()};
}
inline boost::system::error_condition make_error_condition(ApprovalsFailure e) noexcept {
  return {static_cast<int>(e), approvals_failure_category()};
}

}  // namespace jit::approvals

template <>
struct boost::system::is_error_code_enum<jit::approvals::ApprovalsErrc> : std::true_type {};
template <>
struct boost::system::is_error_condition_enum<jit::approvals::ApprovalsFailure> : std::true_type {};
