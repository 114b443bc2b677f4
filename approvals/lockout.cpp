#include "approvals/lockout.hpp"

#include <algorithm>
#include <limits>

namespace jit::approvals {

bool is_locked(const LockoutState& state, TimePoint now) noexcept {
  return now < state.locked_until;
}

Result<void> check_not_locked(const LockoutState& state, TimePoint now) {
  if (is_locked(state, now)) return ApprovalsErrc::locked;
  return {};
}

std::chrono::seconds lock_duration(std::uint32_t failures, const LockoutPolicy& policy) noexcept {
  if (failures < policy.max_failures || policy.base.count() <= 0) return std::chrono::seconds{0};
  const std::uint32_t doublings = failures - policy.max_failures;
  const std::int64_t base = policy.base.count();
  const std::int64_t cap = std::max<std::int64_t>(policy.cap.count(), 0);
  // Double step by step and stop at the cap, so no shift or product can overflow.
  std::int64_t duration = std::min(base, cap);
  for (std::uint32_t i = 0; i < doublings && duration < cap; ++i) {
    duration = duration > cap / 2 ? cap : duration * 2;
  }
  return std::chrono::seconds{duration};
}

LockoutState record_failure(const LockoutState& state, const LockoutPolicy& policy,
                            TimePoint now) noexcept {
  LockoutState next = state;
  if (next.failures < std::numeric_limits<std::uint32_t>::max()) ++next.failures;
  const std::chrono::seconds duration = lock_duration(next.failures, policy);
  if (duration.count() > 0) next.locked_until = now + duration;
  return next;
}

LockoutState record_success(const LockoutState&) noexcept { return LockoutState{}; }

bool is_trusted_source(TimePoint last_success, TimePoint now) noexcept {
  return last_success != TimePoint{} && last_success <= now &&
         now - last_success < kTrustedSourceFor;
}

Result<void> check_login_attempt(const LockoutState& per_source, const LockoutState& per_user,
                                 bool trusted_source, TimePoint now) {
  if (is_locked(per_source, now)) return ApprovalsErrc::locked;
  if (!trusted_source && is_locked(per_user, now)) return ApprovalsErrc::locked;
  return {};
}

}  // namespace jit::approvals
