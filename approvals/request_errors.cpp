#include "approvals/request_errors.hpp"

#include <string>

namespace jit::approvals {
namespace {

class RequestCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "jit.request"; }
  std::string message(int value) const override {
    switch (static_cast<RequestErrc>(value)) {
      case RequestErrc::unknown_role:
        return "no such role";
      case RequestErrc::unknown_user:
        return "not a user of this broker";
      case RequestErrc::not_requestable:
        return "your groups may not request this role";
      case RequestErrc::invalid_duration:
        return "duration must be like 30m or 1h and above zero";
      case RequestErrc::duration_above_max:
        return "duration is above the role's maximum";
      case RequestErrc::reason_required:
        return "this role requires a reason";
      case RequestErrc::ticket_required:
        return "this role requires a ticket";
      case RequestErrc::incident_required:
        return "break-glass requires an incident id";
      case RequestErrc::field_too_long:
        return "a text field is too long";
      case RequestErrc::invalid_text:
        return "a text field holds control characters, bidirectional overrides, invisible "
               "format characters or invalid UTF-8";
      case RequestErrc::self_review:
        return "you cannot review your own request";
      case RequestErrc::not_an_approver:
        return "you are not an approver for this role";
      case RequestErrc::already_reviewed:
        return "you have already reviewed this request";
      case RequestErrc::not_pending:
        return "the request is no longer pending";
      case RequestErrc::pending_expired:
        return "the request's pending window has passed";
      case RequestErrc::not_requester:
        return "only the requester may cancel a request";
      case RequestErrc::breakglass_not_allowed:
        return "your groups may not use break-glass for this role";
      case RequestErrc::not_breakglass:
        return "the request was not a break-glass request";
      case RequestErrc::review_already_done:
        return "the post-incident review is already done";
      case RequestErrc::grant_not_active:
        return "the grant is not active";
      case RequestErrc::not_grant_user:
        return "only the grant's user may mint its certificates";
      case RequestErrc::may_not_revoke:
        return "only the grant's user or an approver of its role may revoke it";
      case RequestErrc::role_has_no_ssh:
        return "the role grants no SSH access";
      case RequestErrc::role_has_no_x509:
        return "the role grants no X.509 certificates";
      case RequestErrc::invalid_public_key:
        return "public_key must be one OpenSSH public key line (ssh-ed25519, "
               "ecdsa-sha2-nistp256/384/521 or rsa of at least 3072 bits)";
      case RequestErrc::invalid_csr:
        return "csr must be a PEM certificate request with a valid self-signature and a supported "
               "key";
      case RequestErrc::requester_not_entitled:
        return "the requester's groups no longer allow this role; the request is cancelled";
      case RequestErrc::not_entitled:
        return "your groups no longer allow this role";
      case RequestErrc::breakglass_limit_reached:
        return "you already hold the most active break-glass grants this role allows";
      case RequestErrc::breakglass_review_overdue:
        return "a post-incident review of your earlier break-glass is overdue; have it reviewed "
               "first";
      case RequestErrc::grant_outlasts_ca:
        return "the grant ends after the issuing CA certificate expires; no X.509 certificate can "
               "cover it (ask for a shorter grant, or renew the issuing CA)";
      case RequestErrc::too_many_pending_for_role:
        return "you have too many pending requests for this role; cancel one or wait for a "
               "decision";
      case RequestErrc::too_many_pending:
        return "you have too many pending requests; cancel one or wait for a decision";
      case RequestErrc::passkey_required:
        return "approvals of this role need a passkey, not a code; approve on the web page with "
               "your passkey";
    }
    return "request refused";
  }
};

}  // namespace

const boost::system::error_category& request_category() noexcept {
  static const RequestCategory category;
  return category;
}

unsigned request_error_status(RequestErrc e) noexcept {
  switch (e) {
    case RequestErrc::unknown_user:
    case RequestErrc::not_requestable:
    case RequestErrc::self_review:
    case RequestErrc::not_an_approver:
    case RequestErrc::not_requester:
    case RequestErrc::breakglass_not_allowed:
    case RequestErrc::not_grant_user:
    case RequestErrc::may_not_revoke:
    case RequestErrc::not_entitled:
    case RequestErrc::passkey_required:
      return 403;
    case RequestErrc::already_reviewed:
    case RequestErrc::not_pending:
    case RequestErrc::pending_expired:
    case RequestErrc::not_breakglass:
    case RequestErrc::review_already_done:
    case RequestErrc::grant_not_active:
    case RequestErrc::role_has_no_ssh:
    case RequestErrc::role_has_no_x509:
    case RequestErrc::requester_not_entitled:
    case RequestErrc::breakglass_limit_reached:
    case RequestErrc::breakglass_review_overdue:
    case RequestErrc::grant_outlasts_ca:
    case RequestErrc::too_many_pending_for_role:
    case RequestErrc::too_many_pending:
      return 409;
    default:
      return 400;
  }
}

std::string_view request_error_name(RequestErrc e) noexcept {
  switch (e) {
    case RequestErrc::unknown_role:
      return "unknown_role";
    case RequestErrc::unknown_user:
      return "unknown_user";
    case RequestErrc::not_requestable:
      return "not_requestable";
    case RequestErrc::invalid_duration:
      return "invalid_duration";
    case RequestErrc::duration_above_max:
      return "duration_above_max";
    case RequestErrc::reason_required:
      return "reason_required";
    case RequestErrc::ticket_required:
      return "ticket_required";
    case RequestErrc::incident_required:
      return "incident_required";
    case RequestErrc::field_too_long:
      return "field_too_long";
    case RequestErrc::invalid_text:
      return "invalid_text";
    case RequestErrc::self_review:
      return "self_review";
    case RequestErrc::not_an_approver:
      return "not_an_approver";
    case RequestErrc::already_reviewed:
      return "already_reviewed";
    case RequestErrc::not_pending:
      return "not_pending";
    case RequestErrc::pending_expired:
      return "pending_expired";
    case RequestErrc::not_requester:
      return "not_requester";
    case RequestErrc::breakglass_not_allowed:
      return "breakglass_not_allowed";
    case RequestErrc::not_breakglass:
      return "not_breakglass";
    case RequestErrc::review_already_done:
      return "review_already_done";
    case RequestErrc::grant_not_active:
      return "grant_not_active";
    case RequestErrc::not_grant_user:
      return "not_grant_user";
    case RequestErrc::may_not_revoke:
      return "may_not_revoke";
    case RequestErrc::role_has_no_ssh:
      return "role_has_no_ssh";
    case RequestErrc::role_has_no_x509:
      return "role_has_no_x509";
    case RequestErrc::invalid_public_key:
      return "invalid_public_key";
    case RequestErrc::invalid_csr:
      return "invalid_csr";
    case RequestErrc::requester_not_entitled:
      return "requester_not_entitled";
    case RequestErrc::not_entitled:
      return "not_entitled";
    case RequestErrc::breakglass_limit_reached:
      return "breakglass_limit_reached";
    case RequestErrc::breakglass_review_overdue:
      return "breakglass_review_overdue";
    case RequestErrc::grant_outlasts_ca:
      return "grant_outlasts_ca";
    case RequestErrc::too_many_pending_for_role:
      return "too_many_pending_for_role";
    case RequestErrc::too_many_pending:
      return "too_many_pending";
    case RequestErrc::passkey_required:
      return "passkey_required";
  }
  return "request_refused";
}

}  // namespace jit::approvals
