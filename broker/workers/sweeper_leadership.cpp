#include "broker/workers/sweeper_leadership.hpp"

#include "broker/log.hpp"

#include <unistd.h>

#include <string>
#include <vector>

namespace jit::broker {

SweeperLeadership::SweeperLeadership(boost::asio::io_context& io, Connect connect, Changed changed,
                                     std::chrono::milliseconds interval)
    : connect_(std::move(connect)), changed_(std::move(changed)), interval_(interval), timer_(io) {}

SweeperLeadership::~SweeperLeadership() { stop(); }

void SweeperLeadership::start() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = false;
  }
  check();
}

void SweeperLeadership::stop() {
  bool was_leading = false;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    timer_.cancel();
    // Closing the session frees the lock now rather than when the process is gone.
    connection_.reset();
    was_leading = leading_.exchange(false);
  }
  if (was_leading) {
    log_event(LogLevel::info, "sweeper_leadership",
              {{"leader", "false"}, {"pid", std::to_string(::getpid())}, {"why", "stopping"}});
  }
}

void SweeperLeadership::check() {
  // Both changes of a round are reported: stepping down and leading again on a new session.
  std::vector<bool> changes;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    if (leading_.load() && !connection_answers()) {
      // The server may already have freed the lock and another broker taken it: stop sweeping
      // now, then compete again on a new connection.
      leading_ = false;
      changes.push_back(false);
      log_event(LogLevel::warning, "sweeper_leadership",
                {{"leader", "false"},
                 {"pid", std::to_string(::getpid())},
                 {"why", "lock connection lost"}});
      connection_.reset();
    }
    if (!leading_.load() && try_lead()) {
      leading_ = true;
      changes.push_back(true);
      log_event(LogLevel::info, "sweeper_leadership",
                {{"leader", "true"}, {"pid", std::to_string(::getpid())}});
    }
    arm();
  }
  if (changed_) {
    for (const bool leading : changes) changed_(leading);
  }
}

bool SweeperLeadership::connection_answers() {
  if (!connection_ || !connection_->ok()) return false;
  try {
    connection_->execute_script("SELECT 1");
    return connection_->ok();
  } catch (const pg::Error&) {
    return false;
  }
}

bool SweeperLeadership::try_lead() {
  try {
    if (!connection_ || !connection_->ok()) {
      connection_.reset();
      connection_.emplace(connect_());
      if (connect_failed_) {
        log_event(LogLevel::info, "sweeper_lock_connection_restored",
                  {{"pid", std::to_string(::getpid())}});
      }
      connect_failed_ = false;
    }
    return connection_->try_advisory_lock(kSweeperLockKey);
  } catch (const pg::Error& e) {
    connection_.reset();
    if (!connect_failed_) {
      // Once per outage: the next rounds try again quietly. pg::Error never holds the password.
      log_event(LogLevel::warning, "sweeper_lock_connection_failed",
                {{"error", e.what()}, {"retry_in_ms", std::to_string(interval_.count())}});
    }
    connect_failed_ = true;
    return false;
  }
}

void SweeperLeadership::arm() {
  timer_.expires_after(interval_);
  // A cancelled wait (stop) touches nothing of this object, which may be gone by then.
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) check();
  });
}

}  // namespace jit::broker
