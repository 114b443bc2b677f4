#include "approvals/lockout.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using std::chrono::seconds;

const TimePoint kLockoutStart = from_unix_seconds(1700000000);

TEST(Lockout, DurationTable) {
  const LockoutPolicy policy{5, seconds{60}, seconds{3600}};
  struct Row {
    std::uint32_t failures;
    std::int64_t lock_seconds;
  };
  const Row table[] = {
      {0, 0},   {1, 0},     {4, 0},     {5, 60},    {6, 120},   {7, 240},          {8, 480},
      {9, 960}, {10, 1920}, {11, 3600}, {12, 3600}, {40, 3600}, {0xFFFFFFFF, 3600}};
  for (const Row& row : table) {
    EXPECT_EQ(lock_duration(row.failures, policy).count(), row.lock_seconds) << row.failures;
  }
}

TEST(Lockout, FifthConsecutiveFailureLocksThenBacksOff) {
  const LockoutPolicy policy;  // 5 failures, 60 s, cap 1 h
  LockoutState state;
  TimePoint now = kLockoutStart;
  for (int i = 0; i < 4; ++i) {
    state = record_failure(state, policy, now);
    EXPECT_FALSE(is_locked(state, now));
    EXPECT_TRUE(check_not_locked(state, now).has_value());
  }
  state = record_failure(state, policy, now);
  EXPECT_EQ(state.failures, 5u);
  EXPECT_EQ(state.locked_until, now + seconds{60});
  EXPECT_EQ(check_not_locked(state, now).error(), ApprovalsErrc::locked);
  EXPECT_EQ(check_not_locked(state, now + seconds{59}).error(), ApprovalsErrc::locked);
  EXPECT_TRUE(check_not_locked(state, now + seconds{60}).has_value());

  // One more failure after the lock ended doubles the next lock.
  now += seconds{60};
  state = record_failure(state, policy, now);
  EXPECT_EQ(state.locked_until, now + seconds{120});
}

TEST(Lockout, SuccessResets) {
  const LockoutPolicy policy;
  LockoutState state;
  for (int i = 0; i < 4; ++i) state = record_failure(state, policy, kLockoutStart);
  state = record_success(state);
  EXPECT_EQ(state, LockoutState{});
  // The count starts again: four more failures do not lock.
  for (int i = 0; i < 4; ++i) state = record_failure(state, policy, kLockoutStart);
  EXPECT_FALSE(is_locked(state, kLockoutStart));
}

TEST(Lockout, LoginAttemptsCountPerSourceAndPerUser) {
  const LockoutPolicy per_source{5, seconds{60}, seconds{3600}};
  const LockoutPolicy per_user{50, seconds{60}, seconds{3600}};
  LockoutState attacker_source, user;
  // Guesses from one source: that source is locked after 5, the user is not.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(check_login_attempt(attacker_source, user, false, kLockoutStart).has_value());
    attacker_source = record_failure(attacker_source, per_source, kLockoutStart);
    user = record_failure(user, per_user, kLockoutStart);
  }
  EXPECT_EQ(check_login_attempt(attacker_source, user, false, kLockoutStart).error(),
            ApprovalsErrc::locked);
  const LockoutState own_source;
  EXPECT_TRUE(check_login_attempt(own_source, user, false, kLockoutStart).has_value());
  // At the per-user threshold every untrusted source is refused, a trusted one is not.
  for (int i = 5; i < 50; ++i) user = record_failure(user, per_user, kLockoutStart);
  EXPECT_EQ(check_login_attempt(own_source, user, false, kLockoutStart).error(),
            ApprovalsErrc::locked);
  EXPECT_TRUE(check_login_attempt(own_source, user, true, kLockoutStart).has_value());
  // A trusted source's own counter still locks it.
  EXPECT_EQ(check_login_attempt(attacker_source, user, true, kLockoutStart).error(),
            ApprovalsErrc::locked);
}

TEST(Lockout, ASourceStaysTrustedForThirtyDaysAfterASuccess) {
  EXPECT_FALSE(is_trusted_source(TimePoint{}, kLockoutStart));
  EXPECT_TRUE(is_trusted_source(kLockoutStart, kLockoutStart));
  EXPECT_TRUE(
      is_trusted_source(kLockoutStart - std::chrono::hours{24 * 30} + seconds{1}, kLockoutStart));
  EXPECT_FALSE(is_trusted_source(kLockoutStart - std::chrono::hours{24 * 30}, kLockoutStart));
  EXPECT_FALSE(
      is_trusted_source(kLockoutStart + seconds{1}, kLockoutStart));  // from the future: no
}

// Reserving before verifying (issue 14, B7): an attempt is recorded as a failure before its
// password is checked, so of any number of attempts that race, at most max_failures are admitted.
TEST(Lockout, ReservedAttemptsAdmitAtMostTheLimit) {
  const LockoutPolicy policy{5, seconds{60}, seconds{3600}};
  LockoutState source, user;
  int admitted = 0;
  for (int i = 0; i < 12; ++i) {
    if (!check_login_attempt(source, user, false, kLockoutStart)) continue;
    ++admitted;
    source = record_failure(source, policy, kLockoutStart);
    user = record_failure(user, LockoutPolicy{50, seconds{60}, seconds{3600}}, kLockoutStart);
  }
  EXPECT_EQ(admitted, 5);
  // A success clears the reservation.
  EXPECT_TRUE(check_login_attempt(record_success(source), user, false, kLockoutStart).has_value());
}

TEST(Lockout, FailureErrorClassesMapForTheBroker) {
  EXPECT_TRUE(make_error_code(ApprovalsErrc::locked) == ApprovalsFailure::locked);
  EXPECT_TRUE(make_error_code(ApprovalsErrc::replayed) == ApprovalsFailure::unauthenticated);
  EXPECT_TRUE(make_error_code(ApprovalsErrc::counter_regressed) ==
              ApprovalsFailure::unauthenticated);
  EXPECT_TRUE(make_error_code(ApprovalsErrc::unsupported) == ApprovalsFailure::bad_request);
  EXPECT_TRUE(make_error_code(ApprovalsErrc::unavailable) == ApprovalsFailure::unavailable);
  EXPECT_TRUE(make_error_code(ApprovalsErrc::internal_error) == ApprovalsFailure::internal);
  EXPECT_TRUE(make_error_code(ApprovalsErrc::rate_limited) == ApprovalsFailure::rate_limited);
  EXPECT_FALSE(make_error_code(ApprovalsErrc::invalid_input) == ApprovalsFailure::unauthenticated);
}

}  // namespace
}  // namespace jit::approvals
