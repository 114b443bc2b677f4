#include "broker/workers/sweeper_leadership.hpp"

#include "broker/log.hpp"

#include <pthread.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace jit::broker {

SweeperLeadership::SweeperLeadership(Connect connect, Changed changed,
                                     std::chrono::milliseconds interval)
    : connect_(std::move(connect)), changed_(std::move(changed)), interval_(interval) {}

SweeperLeadership::~SweeperLeadership() { stop(); }

void SweeperLeadership::start() {
  {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) return;
    stopped_ = false;
  }
  round();
  thread_ = std::thread([this] { run(); });
}

void SweeperLeadership::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  stopping_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Closing the session frees the lock now rather than when the process is gone.
  connection_.reset();
  if (leading_.exchange(false)) {
    log_event(LogLevel::info, "sweeper_leadership",
              {{"leader", "false"}, {"pid", std::to_string(::getpid())}, {"why", "stopping"}});
  }
}

void SweeperLeadership::run() {
  ::pthread_setname_np(::pthread_self(), "sweep-leader");
  std::unique_lock lock(mutex_);
  while (!stopping_.wait_for(lock, interval_, [this] { return stopped_; })) {
    lock.unlock();
    round();
    lock.lock();
  }
}

void SweeperLeadership::round() {
  // Both changes of a round are reported: stepping down and leading again on a new session.
  std::vector<bool> changes;
  if (leading_.load() && !connection_answers()) {
    // The server may already have freed the lock and another broker taken it: stop sweeping now,
    // then compete again on a new connection.
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

}  // namespace jit::broker
