// /readyz answers from the ReadinessMonitor's last probes, made on its own thread: a probe that
// hangs (a slow network HSM) never holds the caller, probes run once per interval however often
// /readyz is asked, and a probe stuck past stuck_after is reported as a problem.
#include "broker/http/readiness_monitor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

namespace jit::broker {
namespace {

using namespace std::chrono_literals;

// A probe the test controls: answers `problem`, or blocks while `hold` is set.
struct ControlledProbe {
  std::atomic<int> calls{0};
  std::atomic<bool> hold{false};
  std::mutex mutex;
  std::string problem;

  ReadinessCheck check(std::string name) {
    return {std::move(name), [this] {
              ++calls;
              while (hold.load()) std::this_thread::sleep_for(5ms);
              std::lock_guard lock(mutex);
              return problem;
            }};
  }
  void answer(std::string text) {
    std::lock_guard lock(mutex);
    problem = std::move(text);
  }
};

template <typename Predicate>
bool readiness_eventually(Predicate predicate, std::chrono::milliseconds limit = 5s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(ReadinessMonitorTest, AnswersFromTheLastProbeWithoutProbingPerCall) {
  ControlledProbe probe;
  ReadinessMonitor monitor({probe.check("ca_signer")}, {50ms, 10s});
  monitor.start();  // the first round runs before start returns
  EXPECT_EQ(probe.calls.load(), 1);
  EXPECT_EQ(monitor.results(),
            (std::vector<std::pair<std::string, std::string>>{{"ca_signer", ""}}));
  for (int i = 0; i < 1000; ++i) (void)monitor.results();
  // Every probe belongs to a round of the monitor's thread (one may be under way), whatever the
  // machine's load: results() never probes.
  EXPECT_LE(static_cast<std::uint64_t>(probe.calls.load()), monitor.rounds() + 1)
      << "results() must never probe";

  probe.answer("CA key pkcs11:token=jit: the token does not sign");
  EXPECT_TRUE(readiness_eventually([&] { return !monitor.results().front().second.empty(); }));
  EXPECT_EQ(monitor.results().front().second, "CA key pkcs11:token=jit: the token does not sign");
  probe.answer("");
  EXPECT_TRUE(readiness_eventually([&] { return monitor.results().front().second.empty(); }));
}

TEST(ReadinessMonitorTest, AHungProbeNeverHoldsTheCallerAndIsReportedOnceStuck) {
  ControlledProbe signer;
  ControlledProbe other;
  ReadinessMonitor monitor({signer.check("ca_signer"), other.check("other")}, {20ms, 2s});
  monitor.start();
  // Released before the monitor's destructor joins its thread, also when an ASSERT below fails.
  struct Release {
    ControlledProbe& probe;
    ~Release() { probe.hold = false; }
  } release{signer};
  signer.hold = true;  // the next round hangs in the signer's probe
  ASSERT_TRUE(readiness_eventually([&] { return signer.calls.load() >= 2; }));
  // Asked while the probe hangs: the last results at once, still "ok" until stuck_after.
  const auto asked = std::chrono::steady_clock::now();
  auto results = monitor.results();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 100ms);
  EXPECT_EQ(results[0].second, "");
  ASSERT_TRUE(readiness_eventually([&] { return !monitor.results()[0].second.empty(); }, 10s));
  results = monitor.results();
  EXPECT_TRUE(results[0].second.starts_with("the probe has not answered for "))
      << results[0].second;
  EXPECT_EQ(results[1].second, "");  // only the stuck check fails
  signer.hold = false;
  EXPECT_TRUE(readiness_eventually([&] { return monitor.results()[0].second.empty(); }));
}

TEST(ReadinessMonitorTest, AProbeThatThrowsIsAFailingCheckNotACrash) {
  std::atomic<int> calls{0};
  ReadinessMonitor monitor({{"database",
                             [&calls]() -> std::string {
                               if (++calls == 2) throw std::runtime_error("connection lost");
                               return "";
                             }}},
                           {20ms, 10s});
  monitor.start();
  ASSERT_TRUE(readiness_eventually([&] { return !monitor.results()[0].second.empty(); }));
  EXPECT_EQ(monitor.results()[0].second, "the probe failed: connection lost");
  EXPECT_TRUE(readiness_eventually([&] { return monitor.results()[0].second.empty(); }));
}

TEST(ReadinessMonitorTest, StopsPromptlyBetweenRounds) {
  ControlledProbe probe;
  const auto started = std::chrono::steady_clock::now();
  {
    ReadinessMonitor monitor({probe.check("ca_signer")}, {10s, 10s});
    monitor.start();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_EQ(probe.calls.load(), 1);
}

}  // namespace
}  // namespace jit::broker
