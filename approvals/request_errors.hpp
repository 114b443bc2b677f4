// Why the access workflow refuses something. Each value is one reason a user can act on, and its
// name is the `code` of the JSON error answer; `request_error_status` says which HTTP class it is.
#pragma once

#include <boost/system/error_code.hpp>

#include <string_view>
#include <type_traits>

namespace jit::approvals {

enum class RequestErrc {
  unknown_role = 1,           // 400 the role does not exist in policy
  unknown_user,               // 403 the caller is not (any longer) a user in policy
  not_requestable,            // 403 the caller's groups may not request this role
  invalid_duration,           // 400 zero, negative or unparseable
  duration_above_max,         // 400 longer than the role (or break-glass) allows
  reason_required,            // 400
  ticket_required,            // 400
  incident_required,          // 400 break-glass without an incident id
  field_too_long,             // 400 reason, ticket, comment or incident over its bound
  invalid_text,               // 400 control characters or invalid UTF-8 in a text field
  self_review,                // 403 a requester never reviews their own request (invariant 1)
  not_an_approver,            // 403 the reviewer is not in the role's approver groups now
  already_reviewed,           // 409 each approver counts once
  not_pending,                // 409 the request is no longer pending
  pending_expired,            // 409 the pending window has passed
  not_requester,              // 403 only the requester may cancel
  breakglass_not_allowed,     // 403 the caller's groups may not use break-glass for this role
  not_breakglass,             // 409 a post-incident review of a request that was not break-glass
  review_already_done,        // 409
  grant_not_active,           // 409 the grant has ended (expired or revoked) or not yet begun
  not_grant_user,             // 403 only the grant's user mints its certificates
  may_not_revoke,             // 403 only the grant's user or an approver of its role revokes it
  role_has_no_ssh,            // 409 the role grants no SSH access
  role_has_no_x509,           // 409 the role grants no X.509 certificates
  invalid_public_key,         // 400 not an OpenSSH public key line of a supported type
  invalid_csr,                // 400 not a PKCS#10 request with a valid self-signature
  requester_not_entitled,     // 409 the requester's groups no longer allow the role: cancelled
  not_entitled,               // 403 the grant's user's groups no longer allow its role
  breakglass_limit_reached,   // 409 already breakglass.max_active active break-glass grants
  breakglass_review_overdue,  // 409 an earlier break-glass's post-incident review is overdue
  grant_outlasts_ca,          // 409 the grant ends after the issuing CA certificate does
  too_many_pending_for_role,  // 409 the requester has limits.max_pending_per_user_role pending
  too_many_pending,           // 409 the requester has limits.max_pending_per_user pending in all
  passkey_required,           // 403 the role's approvals take a passkey, and a code was given
};

const boost::system::error_category& request_category() noexcept;

inline boost::system::error_code make_error_code(RequestErrc e) noexcept {
  return {static_cast<int>(e), request_category()};
}

// 400, 403 or 409.
unsigned request_error_status(RequestErrc e) noexcept;
std::string_view request_error_name(RequestErrc e) noexcept;

}  // namespace jit::approvals

template <>
struct boost::system::is_error_code_enum<jit::approvals::RequestErrc> : std::true_type {};
