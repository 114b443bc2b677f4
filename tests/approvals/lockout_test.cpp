#include "approvals/lockout.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using std::chrono::seconds;

const TimePoint kStart = from_unix_seconds(1700000000);

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
  TimePoint now = kStart;
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
  for (int i = 0; i < 4; ++i) state = record_failure(state, policy, kStart);
  state = record_success(state);
  EXPECT_EQ(state, LockoutState{});
  // The count starts again: four more failures do not lock.
  for (int i = 0; i < 4; ++i) state = record_failure(state, policy, kStart);
  EXPECT_FALSE(is_locked(state, kStart));
}

TEST(Lockout, FailureErrorClassesMapForTheBroker) {
  EXPECT_TRUE(make_error_code(ApprovalsErrc::locked) == ApprovalsFailure::locked);
  EXPECT_TRUE(make_error_code(ApprovalsErrc::replayed) == ApprovalsFailure::unauthenticated);
  EXPECT_TRUE(make_error_code(ApprovalsErrc::counter_regressed) ==
              ApprovalsFailure::unauthenticated);
  EXPECT_TRUE(make_error_code(ApprovalsErrc::unsupported) == ApprovalsFailure::bad_request);
  EXPECT_TRUE(make_error_code(ApprovalsErrc::unavailable) == ApprovalsFailure::unavailable);
  EXPECT_TRUE(make_error_code(ApprovalsErrc::internal_error) == ApprovalsFailure::internal);
  EXPECT_FALSE(make_error_code(ApprovalsErrc::invalid_input) == ApprovalsFailure::unauthenticated);
}

}  // namespace
}  // namespace jit::approvals
