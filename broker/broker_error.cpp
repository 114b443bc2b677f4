#include "broker/broker_error.hpp"

#include "approvals/approvals_error.hpp"
#include "approvals/request_errors.hpp"
#include "ca/ca_error.hpp"

#include <string>

// The broker's category message for each value is its own fixed text, safe to send to a client.

namespace jit::broker {
namespace {

class BrokerCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "jit.broker"; }
  std::string message(int value) const override {
    switch (static_cast<BrokerErrc>(value)) {
      case BrokerErrc::invalid_input:
        return "invalid input";
      case BrokerErrc::unauthenticated:
        return "authentication required or failed";
      case BrokerErrc::permission_denied:
        return "not allowed";
      case BrokerErrc::not_found:
        return "not found";
      case BrokerErrc::conflict:
        return "conflicts with the current state";
      case BrokerErrc::payload_too_large:
        return "payload too large";
      case BrokerErrc::rate_limited:
        return "too many attempts; try again later";
      case BrokerErrc::unavailable:
        return "temporarily unavailable; try again";
      case BrokerErrc::internal:
        return "internal error";
      case BrokerErrc::mfa_required:
        return "this action needs a fresh second factor: send mfa with the call";
      case BrokerErrc::totp_code_used:
        return "that code was already used; enter the next one";
    }
    return "internal error";
  }
};

BrokerErrc kind_of(const boost::system::error_code& ec) noexcept {
  if (ec.category() == broker_category()) return static_cast<BrokerErrc>(ec.value());
  if (ec.category() == ca::ca_category()) {
    switch (static_cast<ca::CaErrc>(ec.value())) {
      case ca::CaErrc::malformed:
      case ca::CaErrc::unsupported_key:
      case ca::CaErrc::bad_signature:
      case ca::CaErrc::invalid_argument:
        return BrokerErrc::invalid_input;
      case ca::CaErrc::key_unavailable:
      case ca::CaErrc::crypto_failure:
      case ca::CaErrc::io_failure:
        return BrokerErrc::internal;
      case ca::CaErrc::signer_unavailable:
        return BrokerErrc::unavailable;
    }
  }
  if (ec.category() == approvals::request_category()) {
    switch (approvals::request_error_status(static_cast<approvals::RequestErrc>(ec.value()))) {
      case 403:
        return BrokerErrc::permission_denied;
      case 409:
        return BrokerErrc::conflict;
      default:
        return BrokerErrc::invalid_input;
    }
  }
  if (ec.category() == approvals::approvals_category()) {
    using approvals::ApprovalsFailure;
    if (ec == ApprovalsFailure::bad_request) return BrokerErrc::invalid_input;
    if (ec == ApprovalsFailure::unauthenticated) return BrokerErrc::unauthenticated;
    if (ec == ApprovalsFailure::locked) return BrokerErrc::unauthenticated;
    if (ec == ApprovalsFailure::unavailable) return BrokerErrc::unavailable;
    if (ec == ApprovalsFailure::rate_limited) return BrokerErrc::rate_limited;
  }
  return BrokerErrc::internal;
}

}  // namespace

const boost::system::error_category& broker_category() noexcept {
  static const BrokerCategory category;
  return category;
}

boost::beast::http::status to_http_status(const boost::system::error_code& ec) noexcept {
  using boost::beast::http::status;
  switch (kind_of(ec)) {
    case BrokerErrc::invalid_input:
      return status::bad_request;
    case BrokerErrc::unauthenticated:
    case BrokerErrc::mfa_required:
      return status::unauthorized;
    case BrokerErrc::permission_denied:
      return status::forbidden;
    case BrokerErrc::not_found:
      return status::not_found;
    case BrokerErrc::conflict:
    case BrokerErrc::totp_code_used:
      return status::conflict;
    case BrokerErrc::payload_too_large:
      return status::payload_too_large;
    case BrokerErrc::rate_limited:
      return status::too_many_requests;
    case BrokerErrc::unavailable:
      return status::service_unavailable;
    case BrokerErrc::internal:
      return status::internal_server_error;
  }
  return status::internal_server_error;
}

std::string_view error_code_name(const boost::system::error_code& ec) noexcept {
  // Workflow refusals have their own precise names ("self_review", "duration_above_max").
  if (ec.category() == approvals::request_category()) {
    return approvals::request_error_name(static_cast<approvals::RequestErrc>(ec.value()));
  }
  switch (kind_of(ec)) {
    case BrokerErrc::invalid_input:
      return "invalid_input";
    case BrokerErrc::unauthenticated:
      return "unauthenticated";
    case BrokerErrc::permission_denied:
      return "permission_denied";
    case BrokerErrc::not_found:
      return "not_found";
    case BrokerErrc::conflict:
      return "conflict";
    case BrokerErrc::payload_too_large:
      return "payload_too_large";
    case BrokerErrc::rate_limited:
      return "rate_limited";
    case BrokerErrc::unavailable:
      return "unavailable";
    case BrokerErrc::internal:
      return "internal_error";
    case BrokerErrc::mfa_required:
      return "mfa_required";
    case BrokerErrc::totp_code_used:
      return "totp_code_used";
  }
  return "internal_error";
}

}  // namespace jit::broker
