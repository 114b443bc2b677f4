#include "approvals/approvals_error.hpp"

#include <string>

namespace jit::approvals {
namespace {

ApprovalsFailure failure_class(ApprovalsErrc e) noexcept {
  switch (e) {
    case ApprovalsErrc::invalid_input:
    case ApprovalsErrc::unsupported:
      return ApprovalsFailure::bad_request;
    case ApprovalsErrc::locked:
      return ApprovalsFailure::locked;
    case ApprovalsErrc::unavailable:
      return ApprovalsFailure::unavailable;
    case ApprovalsErrc::internal_error:
      return ApprovalsFailure::internal;
    case ApprovalsErrc::rate_limited:
      return ApprovalsFailure::rate_limited;
    case ApprovalsErrc::unauthenticated:
    case ApprovalsErrc::replayed:
    case ApprovalsErrc::expired:
    case ApprovalsErrc::origin_mismatch:
    case ApprovalsErrc::rp_id_mismatch:
    case ApprovalsErrc::wrong_ceremony:
    case ApprovalsErrc::challenge_mismatch:
    case ApprovalsErrc::user_not_present:
    case ApprovalsErrc::user_not_verified:
    case ApprovalsErrc::counter_regressed:
    case ApprovalsErrc::unknown_key:
    case ApprovalsErrc::credential_mismatch:
      return ApprovalsFailure::unauthenticated;
  }
  return ApprovalsFailure::internal;
}

class ApprovalsCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "jit.approvals"; }
  std::string message(int value) const override {
    switch (static_cast<ApprovalsErrc>(value)) {
      case ApprovalsErrc::invalid_input:
        return "malformed input";
      case ApprovalsErrc::unsupported:
        return "unsupported algorithm or format";
      case ApprovalsErrc::unauthenticated:
        return "authentication failed";
      case ApprovalsErrc::replayed:
        return "code or challenge already used";
      case ApprovalsErrc::expired:
        return "challenge expired";
      case ApprovalsErrc::locked:
        return "account locked after repeated failures";
      case ApprovalsErrc::origin_mismatch:
        return "WebAuthn origin not accepted";
      case ApprovalsErrc::rp_id_mismatch:
        return "WebAuthn relying party id does not match";
      case ApprovalsErrc::wrong_ceremony:
        return "WebAuthn ceremony type does not match";
      case ApprovalsErrc::challenge_mismatch:
        return "challenge not issued for this use";
      case ApprovalsErrc::user_not_present:
        return "user presence not confirmed";
      case ApprovalsErrc::user_not_verified:
        return "user verification required";
      case ApprovalsErrc::counter_regressed:
        return "signature counter did not increase";
      case ApprovalsErrc::credential_mismatch:
        return "credential not on record for this user";
      case ApprovalsErrc::unavailable:
        return "temporarily unavailable";
      case ApprovalsErrc::internal_error:
        return "internal error";
      case ApprovalsErrc::rate_limited:
        return "too many requests; retry later";
      case ApprovalsErrc::unknown_key:
        return "signed with a key that is not in the key set";
    }
    return "unknown approvals error";
  }
  boost::system::error_condition default_error_condition(int value) const noexcept override {
    return make_error_condition(failure_class(static_cast<ApprovalsErrc>(value)));
  }
};

class ApprovalsFailureCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "jit.approvals.failure"; }
  std::string message(int value) const override {
    switch (static_cast<ApprovalsFailure>(value)) {
      case ApprovalsFailure::bad_request:
        return "bad request";
      case ApprovalsFailure::unauthenticated:
        return "unauthenticated";
      case ApprovalsFailure::locked:
        return "locked";
      case ApprovalsFailure::unavailable:
        return "unavailable";
      case ApprovalsFailure::internal:
        return "internal error";
      case ApprovalsFailure::rate_limited:
        return "rate limited";
    }
    return "unknown failure class";
  }
};

}  // namespace

const boost::system::error_category& approvals_category() noexcept {
  static const ApprovalsCategory category;
  return category;
}

const boost::system::error_category& approvals_failure_category() noexcept {
  static const ApprovalsFailureCategory category;
  return category;
}

}  // namespace jit::approvals
