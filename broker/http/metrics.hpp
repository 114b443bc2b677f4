// Prometheus text exposition (format 0.0.4) of the broker's metrics. Recording is thread-safe and
// cheap: a short mutex hold and no allocation once a route/method/status has been seen.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace jit::broker {

// A monotonically growing count another part of the broker owns (e.g. certificates minted).
class MetricCounter {
 public:
  void increment(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

enum class ConnectionEvent {
  opened,            // a connection was accepted and is being served
  closed,            // a served connection ended, for whatever reason
  refused,           // accepted then closed at once: max_connections reached
  handshake_failed,  // TLS handshake failed (plain HTTP on the TLS port, scanners, bad clients)
  timed_out,         // a handshake, read or write took longer than the limit
  evicted,           // closed in its handshake to make room for a new connection (a cap reached)
};

// One line of a labelled metric family: its labels (name, value) and its value.
struct MetricSample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

class Metrics {
 public:
  // Upper bounds, in seconds, of jit_http_request_duration_seconds (plus +Inf).
  static constexpr std::array<double, 13> kLatencyBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0};

  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One answered request. `route` is the router pattern; empty means nothing matched (including
  // requests the server refused before routing), shown as route="unmatched".
  void record_request(std::string_view route, std::string_view method, unsigned status,
                      std::chrono::nanoseconds latency);
  void record_connection(ConnectionEvent event) noexcept;

  // Start-up registration. Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and be unused, else
  // std::invalid_argument. A gauge's function runs while /metrics renders, on an IO thread, with
  // this registry locked: it must be quick and must not call back into Metrics.
  MetricCounter& add_counter(std::string name, std::string help);
  void add_gauge(std::string name, std::string help, std::function<double()> read);
  // A family with labels (e.g. one sample per audit stream sink); `type` is "gauge" or "counter".
  // Label names must be metric names too; values are escaped. Same rules for `read` as a gauge's.
  void add_family(std::string name, std::string help, std::string type,
                  std::function<std::vector<MetricSample>()> read);

  // The whole exposition, deterministic order (built-ins, then registrations in order).
  [[nodiscard]] std::string render() const;

 private:
  struct StatusCount {
    std::string method;
    unsigned status = 0;
    std::uint64_t count = 0;
  };
  struct RouteStats {
    std::vector<StatusCount> statuses;
    std::array<std::uint64_t, kLatencyBuckets.size() + 1> buckets{};  // last: above 5 s
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  struct Registered {
    std::string name;
    std::string help;
    std::unique_ptr<MetricCounter> counter;              // set for counters
    std::function<double()> read;                        // set for gauges
    std::string type;                                    // set for families
    std::function<std::vector<MetricSample>()> samples;  // set for families
  };

  void check_new_name(const std::string& name) const;

  mutable std::mutex requests_mutex_;
  std::map<std::string, RouteStats, std::less<>> routes_;

  std::array<std::atomic<std::uint64_t>, 6> connections_{};

  mutable std::mutex registry_mutex_;
  std::vector<Registered> registered_;
};

}  // namespace jit::broker
