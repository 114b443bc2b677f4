// Which broker sweeps when several share one PostgreSQL database (docs/architecture.md, "Several
// brokers on one database"): the one whose dedicated connection holds the session-level advisory
// lock kSweeperLockKey. Every other broker tries to take it every `interval`; the server frees it
// when the leader's connection ends (a broker killed with -9 included), so another broker leads
// within about one interval. A leader whose lock connection is lost steps down at once and competes
// again with a new connection. Leadership spares the database duplicate sweeps; it is not what
// keeps a grant from ending twice (every write batch is serialized on the audit chain lock, and a
// sweep only touches rows still due), so a short overlap while a lost leader has not noticed yet is
// harmless. On SQLite there is one broker per database and no leadership object: it always sweeps.
// The rounds run on a thread of their own ("sweep-leader"): opening a connection to an unreachable
// server blocks for libpq's connect_timeout, which must not hold an HTTP thread.
#pragma once

#include "broker/store/pg/pg_connection.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace jit::broker {

// "jitsweep" in ASCII. Apart from the audit chain's ("jitaudit") and the migrations' ("jitmigra")
// transaction-level locks. An operator finds the holder with SELECT pid FROM pg_locks WHERE
// locktype = 'advisory' AND classid = 1785295987 AND objid = 2003133808 (its high and low halves).
inline constexpr std::int64_t kSweeperLockKey = 0x6a69747377656570;

class SweeperLeadership {
 public:
  // Opens the dedicated lock connection (throws pg::Error when it cannot).
  using Connect = std::function<pg::Connection()>;
  // Called with the new state after each change, on the leadership thread (or start()'s caller);
  // keep it short (ExpirySweeper::poke).
  using Changed = std::function<void(bool leading)>;

  SweeperLeadership(Connect connect, Changed changed,
                    std::chrono::milliseconds interval = std::chrono::seconds(2));
  ~SweeperLeadership();
  SweeperLeadership(const SweeperLeadership&) = delete;
  SweeperLeadership& operator=(const SweeperLeadership&) = delete;

  // Tries once on the caller's thread (so a broker that can lead sweeps before it serves), then
  // starts the thread that runs a round every `interval`.
  void start();
  // Ends the thread (waiting for a round in progress) and closes the lock connection, which frees
  // the lock for another broker at once. Never from `changed`.
  void stop();

  bool leading() const noexcept { return leading_.load(); }

 private:
  void run();
  // One round: a leader checks that its connection still answers; a follower (re)connects when
  // it has no usable connection and tries the lock.
  void round();
  bool connection_answers();
  bool try_lead();

  Connect connect_;
  Changed changed_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;  // guards stopped_
  std::condition_variable stopping_;
  bool stopped_ = false;
  std::thread thread_;
  // Used by one round at a time: start()'s, then the thread's; stop() after joining it.
  std::optional<pg::Connection> connection_;
  bool connect_failed_ = false;  // the last connection attempt failed (logged once per outage)
  std::atomic<bool> leading_{false};
};

}  // namespace jit::broker
