#include "approvals/session_factor.hpp"

namespace jit::approvals {

bool session_factor_suffices(SessionFactor rule, std::int64_t last_mfa_at, std::int64_t now,
                             std::chrono::seconds window) {
  if (rule == SessionFactor::not_enough) return false;
  return now - last_mfa_at <= window.count();
}

}  // namespace jit::approvals
