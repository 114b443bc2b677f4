// Ends grants on time: a timer sleeps (for the distance on `clock`) until the earliest grant end or
// pending deadline (at most `max_sleep`), then expires every grant that has reached its end and
// times out every pending request past its deadline, each with its audit record and webhook, and
// deletes the sessions past their timeouts (so at least every `max_sleep`). At
// start it sweeps at once, on the caller's thread, so that after a restart the grants that ended
// while the broker was down are expired before anything is served.
// With several brokers on one PostgreSQL database only the leader sweeps (`leads`, answered by
// SweeperLeadership, sweeper_leadership.hpp): the others neither sweep nor keep a timer, and are
// poked when they become leader, which sweeps whatever fell due meanwhile at once.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <functional>

namespace jit::broker {

class AccessService;

class ExpirySweeper {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // Whether this broker sweeps now; empty: always (SQLite, one broker per database).
  using Leads = std::function<bool()>;

  ExpirySweeper(boost::asio::io_context& io, AccessService& access,
                Clock clock = std::chrono::system_clock::now,
                std::chrono::seconds max_sleep = std::chrono::seconds(30), Leads leads = {});

  // When this broker leads: sweeps once, waiting for the commit, and arms the timer. Call on
  // start-up, before the server accepts connections and before the io_context runs (nothing else
  // uses the strand yet).
  void start();
  // From any thread: a new deadline exists (a request or grant was created), or leadership
  // changed; re-plan the timer (a broker that stopped leading drops it).
  void poke();
  // From any thread: cancels the timer so the io_context can run out of work.
  void stop();

  std::uint64_t sweeps() const { return sweeps_; }

 private:
  void sweep_and_schedule();
  void schedule();
  void arm(std::chrono::system_clock::duration wait);
  bool leads() const { return !leads_ || leads_(); }

  AccessService& access_;
  Clock clock_;
  std::chrono::seconds max_sleep_;
  Leads leads_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;                 // on the strand
  std::chrono::seconds retry_pause_{0};  // after a failed sweep; zero when the last one worked
  std::uint64_t sweeps_ = 0;
};

}  // namespace jit::broker
