#include "broker/service/expiry_sweeper.hpp"

#include "broker/service/access_service.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace jit::broker {

ExpirySweeper::ExpirySweeper(boost::asio::io_context& io, AccessService& access, Clock clock,
                             std::chrono::seconds max_sleep)
    : access_(access),
      clock_(std::move(clock)),
      max_sleep_(max_sleep),
      strand_(boost::asio::make_strand(io)),
      timer_(strand_) {}

void ExpirySweeper::start() {
  boost::asio::post(strand_, [this] { sweep_and_schedule(); });
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
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count();
  access_.sweep(now);
  ++sweeps_;
  schedule();
}

void ExpirySweeper::schedule() {
  const auto now = clock_();
  std::chrono::system_clock::duration wait = max_sleep_;
  if (auto next = access_.next_deadline()) {
    // Deadlines are whole seconds: a grant ending at T is over from T on.
    const auto deadline = std::chrono::system_clock::time_point(std::chrono::seconds(*next));
    wait = std::clamp<std::chrono::system_clock::duration>(deadline - now, {}, wait);
  }
  // A distance on the steady clock: a wall-clock step does not stall the sweeper, and the next
  // sweep (at most max_sleep later) re-reads the wall clock anyway.
  timer_.expires_after(wait);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec == boost::asio::error::operation_aborted) return;  // re-planned or stopped
    sweep_and_schedule();
  });
}

}  // namespace jit::broker
