#include "approvals/rate_limit.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kLimiterStart = from_unix_seconds(1700000000);

TEST(RateLimit, BurstThenSteadyRate) {
  const RateLimit limit{2.0, 3};  // 3 at once, then one every 500 ms
  TokenBucket bucket;
  for (int i = 0; i < 3; ++i) {
    const auto taken = take_token(bucket, limit, kLimiterStart);
    ASSERT_TRUE(taken.allowed) << i;
    bucket = taken.next;
  }
  const auto refused = take_token(bucket, limit, kLimiterStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds{1});  // 500 ms, rounded up to whole seconds
  EXPECT_FALSE(take_token(bucket, limit, kLimiterStart + milliseconds{499}).allowed);
  const auto later = take_token(bucket, limit, kLimiterStart + milliseconds{500});
  EXPECT_TRUE(later.allowed);
  EXPECT_FALSE(take_token(later.next, limit, kLimiterStart + milliseconds{500}).allowed);
}

TEST(RateLimit, RetryAfterCoversASlowRateAndRefillStopsAtTheBurst) {
  const RateLimit slow{0.1, 1};  // one every 10 s
  auto taken = take_token(TokenBucket{}, slow, kLimiterStart);
  ASSERT_TRUE(taken.allowed);
  EXPECT_EQ(take_token(taken.next, slow, kLimiterStart).retry_after, seconds{10});
  const auto wait = take_token(taken.next, slow, kLimiterStart + seconds{4}).retry_after;
  EXPECT_GE(wait, seconds{6});  // 6 s, give or take the rounding of 0.1 per second
  EXPECT_LE(wait, seconds{7});
  EXPECT_FALSE(is_full(taken.next, slow, kLimiterStart + seconds{9}));
  EXPECT_TRUE(is_full(taken.next, slow, kLimiterStart + seconds{3600}));
  // An hour idle gives back the burst, not 360 tokens.
  taken = take_token(taken.next, slow, kLimiterStart + seconds{3600});
  ASSERT_TRUE(taken.allowed);
  EXPECT_FALSE(take_token(taken.next, slow, kLimiterStart + seconds{3600}).allowed);
}

TEST(RateLimit, AClockGoingBackAddsNothing) {
  const RateLimit limit{1.0, 1};
  const auto taken = take_token(TokenBucket{}, limit, kLimiterStart);
  ASSERT_TRUE(taken.allowed);
  EXPECT_FALSE(take_token(taken.next, limit, kLimiterStart - seconds{100}).allowed);
}

}  // namespace
}  // namespace jit::approvals
