// Lockout after consecutive authentication failures, as pure functions over a small state the
// broker stores per counter. The n-th consecutive failure, from the max_failures-th on, locks the
// counter until now + base * 2^(n - max_failures), capped. A success resets the state.
//
// Password logins keep two counters (issue 14, B6): one per (user, source), with the low threshold,
// and one per user across all sources, with a much higher one. So guesses from elsewhere lock out
// the guessing source long before they lock the user out of their own; and a source the user signed
// in from recently (trusted) is not refused by the per-user lock at all. Proofs of presence on an
// authenticated session count on a counter of that session only: password failures never refuse
// them. The caller reserves an attempt before verifying (check_login_attempt, then record_failure
// on both counters in one transaction) and clears it on success, so parallel attempts can never
// verify more than max_failures passwords (B7). Locks are reported as ApprovalsErrc::locked.
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

// How long after a successful login its source stays trusted for that user.
inline constexpr std::chrono::hours kTrustedSourceFor{24 * 30};

// Whether a source whose last successful login for the user was at `last_success` (the epoch:
// never) is trusted at `now`.
[[nodiscard]] bool is_trusted_source(TimePoint last_success, TimePoint now) noexcept;

// Whether a password attempt for one user from one source may be verified: locked when the
// (user, source) counter is locked, or when the per-user counter is and the source is not trusted.
[[nodiscard]] Result<void> check_login_attempt(const LockoutState& per_source,
                                               const LockoutState& per_user, bool trusted_source,
                                               TimePoint now);

}  // namespace jit::approvals
