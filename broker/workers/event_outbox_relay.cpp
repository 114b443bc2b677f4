#include "broker/workers/event_outbox_relay.hpp"

#include <SQLiteCpp/Exception.h>

#include <vector>

namespace jit::broker {
namespace {

// Rows read per poll; more wait for the next poll, so one burst cannot hold the io thread.
constexpr std::size_t kBatch = 100;

}  // namespace

EventOutboxRelay::EventOutboxRelay(boost::asio::io_context& io, Store& store, Deliver deliver,
                                   std::chrono::milliseconds poll_interval)
    : io_(io), store_(store), deliver_(std::move(deliver)), poll_interval_(poll_interval) {}

EventOutboxRelay::~EventOutboxRelay() { stop(); }

void EventOutboxRelay::start() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = false;
    timer_.emplace(io_);
  }
  arm();
}

void EventOutboxRelay::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  timer_.reset();  // cancels the wait; the handler sees operation_aborted
}

std::uint64_t EventOutboxRelay::delivered() const { return delivered_->load(); }

void EventOutboxRelay::arm() {
  std::lock_guard lock(mutex_);
  if (stopped_ || !timer_) return;
  timer_->expires_after(poll_interval_);
  timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) poll();
  });
}

void EventOutboxRelay::poll() {
  std::int64_t after = 0;
  {
    std::lock_guard lock(mutex_);
    after = last_handed_;
  }
  std::vector<OutboxEvent> rows;
  try {
    rows = store_.read(
        [after](SQLite::Database& db) { return undelivered_events(db, after, kBatch); });
  } catch (const SQLite::Exception&) {
    // Read again at the next poll.
  }
  for (auto& row : rows) {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) break;
      last_handed_ = row.seq;
    }
    const std::int64_t seq = row.seq;
    // The notifier may settle after this relay is gone (the store outlives both).
    deliver_(std::move(row),
             [&store = store_, delivered = delivered_, seq] { settle(store, delivered, seq); });
  }
  arm();
}

void EventOutboxRelay::settle(Store& store,
                              const std::shared_ptr<std::atomic<std::uint64_t>>& delivered,
                              std::int64_t seq) {
  store.write(
      [seq](WriteContext& tx) {
        mark_event_delivered(tx.db(), seq, tx.now_seconds());
        return boost::system::error_code{};
      },
      [delivered](boost::system::error_code ec) {
        // On a failed write the row stays undelivered: it is sent again after a restart.
        if (!ec) ++*delivered;
      });
}

}  // namespace jit::broker
