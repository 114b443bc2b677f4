// Wakes the revocation publisher the moment any broker (or `jit-broker user lock`) commits a
// revocation on the shared PostgreSQL database (docs/architecture.md, "Several brokers on one
// database"): a dedicated connection LISTENs on kRevocationChannel, and an Asio descriptor waits
// on its socket on the io_context, so no thread blocks. Every wake-up calls `wake`, which reads
// the generation and rebuilds when it moved (RevocationPublisher::check_generation). After a lost
// connection it reconnects every `reconnect_pause` and, once listening again, calls `wake` once:
// notifications sent while it was away are lost. The publisher's periodic poll covers those
// gaps, so a listener that cannot connect delays revocations, never loses them.
#pragma once

#include "broker/store/pg/pg_connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

namespace jit::broker {

class RevocationListener {
 public:
  // Opens the dedicated connection (throws pg::Error when it cannot).
  using Connect = std::function<pg::Connection()>;

  RevocationListener(boost::asio::io_context& io, Connect connect, std::function<void()> wake,
                     std::chrono::milliseconds reconnect_pause = std::chrono::seconds(1));
  ~RevocationListener();
  RevocationListener(const RevocationListener&) = delete;
  RevocationListener& operator=(const RevocationListener&) = delete;

  // Connects and LISTENs on the caller's thread; when that fails, retries on a timer on `io`.
  void start();
  // Cancels the wait and the timer and closes the connection. Call from an io_context thread or
  // after it stopped.
  void stop();

  // True while the connection listens (tests, and the log says when it changes).
  bool listening() const noexcept { return listening_.load(); }
  // Notifications received and connections made so far (tests).
  std::uint64_t notifications() const noexcept { return notifications_.load(); }
  std::uint64_t connections() const noexcept { return connections_.load(); }

 private:
  // Each returns true when `wake` is to be called (after the lock is released).
  bool connect_and_listen();
  bool on_readable(boost::system::error_code ec);
  void wait_readable();
  void lose_connection(const char* why);
  void arm_reconnect();
  void reconnect();

  boost::asio::io_context& io_;
  Connect connect_;
  std::function<void()> wake_;
  std::chrono::milliseconds reconnect_pause_;
  std::mutex mutex_;  // guards what follows; never held while `wake` runs
  boost::asio::steady_timer reconnect_timer_;
  std::optional<pg::Connection> connection_;
  // Waits on the connection's socket, which libpq owns: released, never closed, when dropped.
  struct BorrowedSocket {
    BorrowedSocket(boost::asio::io_context& io, int fd) : descriptor(io, fd) {}
    ~BorrowedSocket() { descriptor.release(); }
    BorrowedSocket(const BorrowedSocket&) = delete;
    BorrowedSocket& operator=(const BorrowedSocket&) = delete;
    boost::asio::posix::stream_descriptor descriptor;
  };
  std::optional<BorrowedSocket> socket_;
  bool stopped_ = false;
  bool lost_ = false;  // logged the loss; the next success is logged too
  std::atomic<bool> listening_{false};
  std::atomic<std::uint64_t> notifications_{0};
  std::atomic<std::uint64_t> connections_{0};
};

}  // namespace jit::broker
