#include "broker/workers/expiry_sweeper.hpp"

#include "broker/log.hpp"
#include "broker/service/access_service.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace jit::broker {

ExpirySweeper::ExpirySweeper(boost::asio::io_context& io, AccessService& access, Clock clock,
                             std::chrono::seconds max_sleep, Leads leads)
    : access_(access),
      clock_(std::move(clock)),
      max_sleep_(max_sleep),
      leads_(std::move(leads)),
      strand_(boost::asio::make_strand(io)),
      timer_(strand_) {}

void ExpirySweeper::start() {
  // Not posted: a sweep queued behind the first connections let a restarted broker answer that a
  // grant which ended while it was down was still active (the crash-safety test saw it).
  sweep_and_schedule();
}

void ExpirySweeper::poke() {
  boost::asio::post(strand_, [this] {
    if (!stopped_) schedule();
  });
}

void ExpirySweeper::stop() {
  boost::asio::post(strand_, [this] {
    stopped_ = true;
    timer_.cancel();
  });
}

void ExpirySweeper::sweep_and_schedule() {
  if (stopped_) return;
  // Another broker sweeps; becoming leader pokes this one, which plans from the deadlines then.
  if (!leads()) return;
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count();
  // A failed sweep (full disk, I/O error) is retried with a growing pause rather than at once,
  // which would spin on the past-due deadline.
  bool failed = true;
  try {
    // Sessions past their timeouts go too: logins alone must not grow the table.
    failed = !access_.grants().sweep(now) || !access_.identity().prune_sessions(now);
  } catch (const std::exception&) {
  }
  ++sweeps_;
  if (failed) {
    retry_pause_ = std::min<std::chrono::seconds>(
        retry_pause_ == std::chrono::seconds{} ? std::chrono::seconds(1) : retry_pause_ * 2,
        max_sleep_);
    log_event(LogLevel::error, "expiry_sweep_failed",
              {{"retry_in_s", std::to_string(retry_pause_.count())}});
    return arm(retry_pause_);
  }
  retry_pause_ = {};
  schedule();
}

void ExpirySweeper::arm(std::chrono::system_clock::duration wait) {
  timer_.expires_after(wait);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec == boost::asio::error::operation_aborted) return;  // re-planned or stopped
    sweep_and_schedule();
  });
}

void ExpirySweeper::schedule() {
  if (!leads()) {
    // No timer while following: its deadlines would fire at once, forever, as nothing here ends
    // them. A retry pending from the time this broker led is the new leader's business now.
    retry_pause_ = {};
    timer_.cancel();
    return;
  }
  if (retry_pause_ != std::chrono::seconds{}) return;  // a retry after a failure is armed
  const auto now = clock_();
  std::chrono::system_clock::duration wait = max_sleep_;
  std::optional<std::int64_t> next;
  try {
    next = access_.grants().next_deadline();
  } catch (const std::exception&) {
    // Unreadable for now: look again after max_sleep.
  }
  if (next) {
    // Deadlines are whole seconds: a grant ending at T is over from T on.
    const auto deadline = std::chrono::system_clock::time_point(std::chrono::seconds(*next));
    wait = std::clamp<std::chrono::system_clock::duration>(deadline - now, {}, wait);
  }
  // A distance on the steady clock: a wall-clock step does not stall the sweeper, and the next
  // sweep (at most max_sleep later) re-reads the wall clock anyway.
  arm(wait);
}

}  // namespace jit::broker
