// Wakes the revocation publisher the moment any broker (or `jit-broker user lock`) commits a
// revocation on the shared PostgreSQL database (docs/architecture.md, "Several brokers on one
// database"): a dedicated connection LISTENs on kRevocationChannel, and an Asio descriptor waits
// on its socket on the io_context, so no thread blocks waiting. Every wake-up calls `wake`, which
// reads the generation and rebuilds when it moved (RevocationPublisher::check_generation). After a
// lost connection a thread of its own ("revocation-conn"; connecting to an unreachable server
// blocks for libpq's connect_timeout, which must not hold an HTTP thread) reconnects at once, then
// every `reconnect_pause`, and once it listens again calls `wake` once: notifications sent while
// it was away are lost. The publisher's periodic poll covers those gaps, so a listener that cannot
// connect delays revocations, never loses them.
#pragma once

#include "broker/store/pg/pg_connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

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

  // Connects and LISTENs on the caller's thread (then calls `wake`), and starts the thread that
  // reconnects whenever the connection is lost.
  void start();
  // Cancels the wait, ends the thread (waiting for a connection attempt in progress) and closes
  // the connection. Never from `wake`.
  void stop();

  // True while the connection listens (tests, and the log says when it changes).
  bool listening() const noexcept { return listening_.load(); }
  // Notifications received and connections made so far (tests).
  std::uint64_t notifications() const noexcept { return notifications_.load(); }
  std::uint64_t connections() const noexcept { return connections_.load(); }

 private:
  // A connection that LISTENs, or nullopt with the reason in `error`. Takes no lock.
  std::optional<pg::Connection> open_listening(std::string& error) const;
  // With mutex_ held: keeps `connection` and waits for its socket on the io_context.
  void install(pg::Connection connection);
  void run();  // the reconnecting thread
  void wait_readable();
  // With mutex_ held: what a readable socket brought; true when `wake` is to be called.
  bool on_readable(boost::system::error_code ec);
  // With mutex_ held: drops the connection, which the thread then replaces.
  void lose_connection(const std::string& why);
  void log_lost(const std::string& why);  // once per outage

  boost::asio::io_context& io_;
  Connect connect_;
  std::function<void()> wake_;
  std::chrono::milliseconds reconnect_pause_;
  std::mutex mutex_;                 // guards what follows; never held while `wake` runs
  std::condition_variable changed_;  // stopped_ was set, or the connection is gone
  std::optional<pg::Connection> connection_;
  // Waits on the connection's socket, which libpq owns: released, never closed, when dropped.
  struct BorrowedSocket {
    BorrowedSocket(boost::asio::io_context& io, int fd) : descriptor(io, fd) {}
    ~BorrowedSocket() { descriptor.release(); }
    BorrowedSocket(const BorrowedSocket&) = delete;
    BorrowedSocket& operator=(const BorrowedSocket&) = delete;
    boost::asio::posix::stream_descriptor descriptor;
  };
  std::optional<BorrowedSocket> socket_;  // declared after connection_: released before it closes
  bool stopped_ = false;
  bool lost_ = false;  // the loss was logged; the next success is logged too
  std::thread thread_;
  std::atomic<bool> listening_{false};
  std::atomic<std::uint64_t> notifications_{0};
  std::atomic<std::uint64_t> connections_{0};
};

}  // namespace jit::broker
