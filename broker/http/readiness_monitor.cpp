#include "broker/http/readiness_monitor.hpp"

#include <exception>

namespace jit::broker {

ReadinessMonitor::ReadinessMonitor(std::vector<ReadinessCheck> checks, Options options)
    : checks_(std::move(checks)),
      options_(options),
      problems_(checks_.size(), "not checked yet"),
      probing_(checks_.size()) {}

ReadinessMonitor::~ReadinessMonitor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReadinessMonitor::start() {
  run_round();
  thread_ = std::thread([this] { loop(); });
}

void ReadinessMonitor::run_round() {
  for (std::size_t i = 0; i < checks_.size(); ++i) {
    {
      std::lock_guard lock(mutex_);
      probing_ = i;
      probe_started_ = std::chrono::steady_clock::now();
    }
    std::string problem;
    try {
      problem = checks_[i].probe();
    } catch (const std::exception& e) {
      // A probe that throws is a failing check, never the end of the monitor's thread.
      problem = std::string("the probe failed: ") + e.what();
    }
    std::lock_guard lock(mutex_);
    problems_[i] = std::move(problem);
  }
  std::lock_guard lock(mutex_);
  probing_ = checks_.size();
  ++rounds_;
}

void ReadinessMonitor::loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, options_.interval, [this] { return stopping_; })) return;
    }
    run_round();
  }
}

std::vector<std::pair<std::string, std::string>> ReadinessMonitor::results() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(checks_.size());
  for (std::size_t i = 0; i < checks_.size(); ++i) out.emplace_back(checks_[i].name, problems_[i]);
  if (probing_ < checks_.size()) {
    const auto running = std::chrono::steady_clock::now() - probe_started_;
    if (running >= options_.stuck_after) {
      out[probing_].second =
          "the probe has not answered for " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(running).count()) + " s";
    }
  }
  return out;
}

std::uint64_t ReadinessMonitor::rounds() const {
  std::lock_guard lock(mutex_);
  return rounds_;
}

}  // namespace jit::broker
