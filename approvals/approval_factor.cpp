#include "approvals/approval_factor.hpp"

namespace jit::approvals {

Result<void> check_review_factor(const config::Role& role, ReviewDecision decision,
                                 std::optional<MfaFactor> factor) {
  if (decision == ReviewDecision::approve && role.approve_with_passkey &&
      factor != MfaFactor::webauthn) {
    return RequestErrc::passkey_required;
  }
  return {};
}

}  // namespace jit::approvals
