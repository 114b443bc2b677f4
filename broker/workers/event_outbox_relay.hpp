// Delivers the event outbox (broker/store/event_outbox.hpp): every poll_interval it reads the
// undelivered rows, hands each to `deliver` once, and marks a row delivered when `deliver` reports
// it settled. A row whose delivery is cut short by a stop stays undelivered and is sent after the
// next start (at least once). Events from other processes (the admin commands) reach the webhooks
// this way within about a poll interval.
#pragma once

#include "broker/store/event_outbox.hpp"
#include "broker/store/store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace jit::broker {

class EventOutboxRelay {
 public:
  // Hands one event on; calls `settled` (from any thread) once it needs no further delivery.
  using Deliver = std::function<void(OutboxEvent event, std::function<void()> settled)>;

  EventOutboxRelay(boost::asio::io_context& io, Store& store, Deliver deliver,
                   std::chrono::milliseconds poll_interval = std::chrono::milliseconds(250));
  ~EventOutboxRelay();
  EventOutboxRelay(const EventOutboxRelay&) = delete;
  EventOutboxRelay& operator=(const EventOutboxRelay&) = delete;

  // Polls on `io` from now on. stop() cancels the timer; call it before the io_context goes.
  void start();
  void stop();

  // Rows marked delivered since start (for tests and metrics).
  [[nodiscard]] std::uint64_t delivered() const;

 private:
  void arm();
  void poll();
  static void settle(Store& store, const std::shared_ptr<std::atomic<std::uint64_t>>& delivered,
                     std::int64_t seq);

  boost::asio::io_context& io_;
  Store& store_;
  Deliver deliver_;
  std::chrono::milliseconds poll_interval_;

  mutable std::mutex mutex_;  // guards what follows
  std::optional<boost::asio::steady_timer> timer_;
  bool stopped_ = true;
  // The last row handed to deliver_: rows are numbered in commit order (SQLite has one writer at
  // a time, across processes too), so each is handed on once per run.
  std::int64_t last_handed_ = 0;
  // Shared with the store's write callbacks, which may complete after this relay is gone.
  std::shared_ptr<std::atomic<std::uint64_t>> delivered_ =
      std::make_shared<std::atomic<std::uint64_t>>(0);
};

}  // namespace jit::broker
