// The /readyz checks, run off the HTTP threads (docs/api.md "Health"): a thread of its own runs
// every check every `interval` and keeps the last results, which /readyz answers from. So a slow
// or hung network HSM never holds an HTTP thread, and a load balancer polling /readyz often costs
// one probe per interval, not one signature per request. A round of probes that has not finished
// after `stuck_after` is reported as a problem of the check it is stuck in.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace jit::broker {

// One part /readyz checks (the CA signer today; a database check would be another): `probe`
// returns an empty string when the part works, else one line saying why not (no secrets: the
// answer is public). Probes run on the monitor's thread and may block.
struct ReadinessCheck {
  std::string name;
  std::function<std::string()> probe;
};

class ReadinessMonitor {
 public:
  struct Options {
    std::chrono::milliseconds interval{2000};
    std::chrono::milliseconds stuck_after{10000};
  };

  ReadinessMonitor(std::vector<ReadinessCheck> checks, Options options);
  explicit ReadinessMonitor(std::vector<ReadinessCheck> checks)
      : ReadinessMonitor(std::move(checks), Options{}) {}
  // Stops the thread; waits for a probe that is running.
  ~ReadinessMonitor();
  ReadinessMonitor(const ReadinessMonitor&) = delete;
  ReadinessMonitor& operator=(const ReadinessMonitor&) = delete;

  // Runs the first round on the calling thread (before the port serves), then starts the thread.
  void start();

  // Each check's name and "" when it passed its last probe, else the problem. Never probes.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> results() const;
  // Rounds of probes finished (for tests and metrics).
  [[nodiscard]] std::uint64_t rounds() const;

 private:
  void run_round();
  void loop();

  const std::vector<ReadinessCheck> checks_;
  const Options options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::string> problems_;  // parallel to checks_; guarded by mutex_
  std::size_t probing_ = 0;            // index of the check being probed, or checks_.size()
  std::chrono::steady_clock::time_point probe_started_;
  std::uint64_t rounds_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace jit::broker
