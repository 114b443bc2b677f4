// A keep-alive HTTPS load generator on one thread, so that it leaves the broker as much of the
// machine as possible. Each connection sends its next call as soon as the previous answer arrived
// (closed loop), or calls arrive at a fixed rate and wait for a free connection (open loop). In the
// open loop a call's latency counts from its scheduled arrival, not from when a connection got to
// it, so a stalled server shows in the percentiles instead of slowing the generator down
// (no coordinated omission).
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace jit::bench {

struct LoadCall {
  std::string target;         // e.g. /v1/grants/grt-.../ssh-cert (always POST)
  std::string body;           // JSON
  std::string authorization;  // "Bearer ..."
};

struct LoadPlan {
  boost::asio::ip::tcp::endpoint server;
  std::filesystem::path ca_file;  // the broker's TLS certificate (names localhost)
  std::size_t connections = 1;
  std::chrono::milliseconds warmup{1000};    // calls completed here are not counted
  std::chrono::milliseconds duration{5000};  // the measured window after the warm-up
  double rate_per_second = 0;                // 0: closed loop
  unsigned expected_status = 201;
  std::function<LoadCall(std::size_t connection, std::uint64_t sequence)> next_call;
  // Sees every measured successful answer body (e.g. to collect serials); may be empty.
  std::function<void(const std::string& body)> on_answer;
};

struct LoadReport {
  std::uint64_t completed = 0;  // expected status, inside the window
  std::uint64_t failed = 0;     // other status or a transport error, inside the window
  std::uint64_t answered = 0;   // expected status over the whole run, warm-up included
  std::uint64_t backlog = 0;    // open loop: calls still waiting for a connection at the end
  double seconds = 0;           // length of the window
  std::map<unsigned, std::uint64_t> other_statuses;
  std::string first_failure;
  std::vector<std::uint32_t> latencies_us;  // of completed calls, sorted

  double rate() const { return seconds > 0 ? static_cast<double>(completed) / seconds : 0; }
  // Latency at quantile q (0..1) in milliseconds; 0 when nothing completed.
  double percentile_ms(double q) const;
};

// Connects every connection (TCP + TLS) before the clock starts, runs the plan, and closes them.
// Throws std::runtime_error when no connection can be made.
LoadReport run_load(const LoadPlan& plan);

}  // namespace jit::bench
