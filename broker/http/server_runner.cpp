#include "broker/http/server_runner.hpp"

#include "broker/http/server.hpp"

#include <boost/asio/post.hpp>

#include <pthread.h>

#include <csignal>
#include <thread>

namespace jit::broker {

ServerRunner::ServerRunner(boost::asio::io_context& io, HttpsServer& server,
                           ServerRunnerOptions options)
    : io_(io), server_(server), options_(options) {
  // Registered now, before the broker says it listens: a SIGTERM that comes before run() is
  // queued by the signal_set and begins the shutdown once run() starts, instead of killing the
  // process by the default action (a supervisor or test may stop the broker at once).
  if (options_.handle_signals) {
    signals_.emplace(io_, SIGINT, SIGTERM);
    signals_->async_wait([this](const boost::system::error_code& ec, int signal_number) {
      if (!ec) begin_shutdown(signal_number);
    });
  }
}

void ServerRunner::on_shutdown(std::function<void()> hook) { hooks_.push_back(std::move(hook)); }

void ServerRunner::stop() {
  boost::asio::post(io_, [this] { begin_shutdown(0); });
}

void ServerRunner::begin_shutdown(int signal_number) {
  if (shutdown_begun_.exchange(true)) return;
  signal_number_ = signal_number;
  // The signal wait would otherwise keep the io_context busy forever.
  if (signals_) signals_->cancel();
  server_.stop();
  for (const auto& hook : hooks_) hook();
  const std::lock_guard lock(mutex_);
  shutdown_requested_ = true;
  changed_.notify_all();
}

// A thread of its own rather than an Asio timer: a pending timer would itself keep the io_context
// from running out of work, which is how a clean shutdown ends.
void ServerRunner::watch_grace_period() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return shutdown_requested_ || finished_; });
  if (finished_) return;
  if (!changed_.wait_for(lock, options_.shutdown_grace, [this] { return finished_; })) io_.stop();
}

int ServerRunner::run() {
  std::thread watchdog([this] {
    pthread_setname_np(pthread_self(), "http-shutdown");
    watch_grace_period();
  });
  unsigned count = options_.threads != 0 ? options_.threads : std::thread::hardware_concurrency();
  if (count == 0) count = 1;
  std::vector<std::thread> threads;
  threads.reserve(count - 1);
  for (unsigned i = 1; i < count; ++i) {
    threads.emplace_back([this] {
      pthread_setname_np(pthread_self(), "http-io");
      io_.run();
    });
  }
  io_.run();  // the calling thread keeps its own name (the main thread of jit-broker)
  for (auto& thread : threads) thread.join();
  {
    const std::lock_guard lock(mutex_);
    finished_ = true;
    changed_.notify_all();
  }
  watchdog.join();
  signals_.reset();
  return signal_number_;
}

}  // namespace jit::broker
