// Issue 14, B5: the admission of logins (per source and overall) and the password workers' bound.
#include "broker/auth/login_limiter.hpp"
#include "broker/auth/password_workers.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace jit::broker {
namespace {

using std::chrono::seconds;

const approvals::TimePoint kStart = approvals::from_unix_seconds(1700000000);

TEST(LoginLimiter, SourcesAreAddressesAndIpv6Slash64s) {
  EXPECT_EQ(source_of("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(source_of("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(source_of("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(source_of("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(source_of("not an address"), "not an address");
}

TEST(LoginLimiter, PerSourceThenOverall) {
  LoginLimiter limiter(LoginRateLimits{{1.0, 2}, {1.0, 3}, 100});
  EXPECT_EQ(limiter.admit("a", kStart), seconds{0});
  EXPECT_EQ(limiter.admit("a", kStart), seconds{0});
  EXPECT_EQ(limiter.admit("a", kStart), seconds{1});  // a's own bucket is empty
  EXPECT_EQ(limiter.admit("b", kStart), seconds{0});  // the third of the shared three
  EXPECT_EQ(limiter.admit("c", kStart), seconds{1});  // c is fine, everyone is not
  EXPECT_EQ(limiter.admit("c", kStart + seconds{1}), seconds{0});
  EXPECT_EQ(limiter.admit("a", kStart + seconds{2}), seconds{0});
}

TEST(LoginLimiter, ManySourcesStayBounded) {
  LoginLimiter limiter(LoginRateLimits{{1.0, 1}, {1000.0, 100000}, 10});
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limiter.admit(std::to_string(i), kStart), seconds{0});
  // The table is full of live buckets: an eleventh source meets only the overall limit.
  EXPECT_EQ(limiter.admit("new", kStart), seconds{0});
  EXPECT_EQ(limiter.admit("0", kStart), seconds{1});
  // Once the old buckets have refilled they are forgotten and the new source is tracked.
  EXPECT_EQ(limiter.admit("new", kStart + seconds{5}), seconds{0});
  EXPECT_EQ(limiter.admit("new", kStart + seconds{5}), seconds{1});
}

TEST(PasswordWorkers, ABoundedQueueRefusesAtOnce) {
  PasswordWorkers workers(1, 1);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> started;
  std::atomic<int> ran{0};
  ASSERT_TRUE(workers.post([&] {
    started.set_value();
    released.wait();
    ++ran;
  }));
  started.get_future().wait();                 // the one worker is busy
  EXPECT_TRUE(workers.post([&] { ++ran; }));   // waits in the queue
  EXPECT_FALSE(workers.post([&] { ++ran; }));  // the queue is full
  release.set_value();
  for (int i = 0; i < 500 && ran.load() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(ran.load(), 2);
  workers.stop();
  EXPECT_FALSE(workers.post([&] { ++ran; }));
}

}  // namespace
}  // namespace jit::broker
