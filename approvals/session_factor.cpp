#include "approvals/session_factor.hpp"

namespace jit::approvals {

bool session_factor_suffices(SessionFactor rule, std::int64_t last_mfa_at, std::int64_t now,
                             std::chrono::seconds window) {
  if (rule == SessionFactor::not_enough) return false;
  return now - last_mfa_at <= window.count();
}

SessionFactor passkey_registration_rule(bool has_broker_factor) noexcept {
  return has_broker_factor ? SessionFactor::not_enough : SessionFactor::when_fresh;
}

SessionFactor minting_rule(bool sso_session) noexcept {
  return sso_session ? SessionFactor::not_enough : SessionFactor::when_fresh;
}

}  // namespace jit::approvals
