// Account lockout after consecutive authentication failures, as pure functions over a small state
// the broker stores per user. The n-th consecutive failure, from the max_failures-th on, locks the
// account until now + base * 2^(n - max_failures), capped. A success resets the state.
// The caller checks is_locked() before verifying anything, and does not verify (nor count) attempts
// while the account is locked; the lock is reported as ApprovalsErrc::locked.
#pragma once

#include "approvals/approvals_error.hpp"
#include "approvals/time_point.hpp"

#include <chrono>
#include <cstdint>

namespace jit::approvals {

struct LockoutPolicy {
  std::uint32_t max_failures = 5;
  std::chrono::seconds base{60};
  std::chrono::seconds cap{3600};
};

struct LockoutState {
  std::uint32_t failures = 0;  // consecutive failures since the last success
  TimePoint locked_until{};    // the epoch means "never locked"
  friend bool operator==(const LockoutState&, const LockoutState&) = default;
};

[[nodiscard]] bool is_locked(const LockoutState& state, TimePoint now) noexcept;

// locked while now < locked_until, success otherwise.
[[nodiscard]] Result<void> check_not_locked(const LockoutState& state, TimePoint now);

// How long the `failures`-th consecutive failure locks the account (zero below max_failures).
[[nodiscard]] std::chrono::seconds lock_duration(std::uint32_t failures,
                                                 const LockoutPolicy& policy) noexcept;

// The state after one more failure at `now`.
[[nodiscard]] LockoutState record_failure(const LockoutState& state, const LockoutPolicy& policy,
                                          TimePoint now) noexcept;

// The state after a success (or an administrator's unlock): no failures, not locked.
[[nodiscard]] LockoutState record_success(const LockoutState& state) noexcept;

}  // namespace jit::approvals
