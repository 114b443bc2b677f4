// Runs the broker's io_context on a thread per core and shuts it down gracefully: on SIGTERM or
// SIGINT (or stop()), the server stops accepting, requests being answered finish, and after a
// grace period whatever is still running is abandoned.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace jit::broker {

class HttpsServer;

struct ServerRunnerOptions {
  unsigned threads = 0;                             // 0: one per hardware thread
  std::chrono::milliseconds shutdown_grace{10000};  // after shutdown begins, then io.stop()
  bool handle_signals = true;                       // SIGTERM and SIGINT begin the shutdown
};

class ServerRunner {
 public:
  // The server should be start()ed by the caller first, so that start-up errors surface there.
  ServerRunner(boost::asio::io_context& io, HttpsServer& server, ServerRunnerOptions options = {});
  ServerRunner(const ServerRunner&) = delete;
  ServerRunner& operator=(const ServerRunner&) = delete;

  // Before run(): called once on an IO thread when shutdown begins, after the server's stop().
  // Use it to cancel timers (sweeper, webhooks) so that the io_context can run out of work.
  void on_shutdown(std::function<void()> hook);

  // Blocks, running the io_context on the configured threads (this one included), until it runs
  // out of work after a shutdown or the grace period has passed. Returns the signal that began
  // the shutdown, or 0 when stop() did (or the io_context simply ran out of work).
  int run();

  // From any thread, also before run(): begins the graceful shutdown.
  void stop();

 private:
  void begin_shutdown(int signal_number);
  void watch_grace_period();

  boost::asio::io_context& io_;
  HttpsServer& server_;
  const ServerRunnerOptions options_;
  std::vector<std::function<void()>> hooks_;
  std::optional<boost::asio::signal_set> signals_;
  std::atomic<bool> shutdown_begun_{false};
  std::atomic<int> signal_number_{0};

  std::mutex mutex_;  // guards the two flags below, for the grace-period watchdog
  std::condition_variable changed_;
  bool shutdown_requested_ = false;
  bool finished_ = false;
};

}  // namespace jit::broker
