// The service manager's side of `Type=notify` (packaging/jitbroker.service, docs/operations.md
// "Install from the Debian package"): READY=1 once the broker serves, STOPPING=1 when it begins
// to stop, and WATCHDOG=1 pings from the I/O loop so that systemd restarts a broker whose loop
// hangs. sd_notify() does nothing when NOTIFY_SOCKET is unset (a broker started by hand or by a
// test), so these are plain calls without a handle; only jit-broker links libsystemd.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace jit::broker {

// "READY=1" with a STATUS line naming the address served.
void notify_ready(const std::string& listen);
// "STOPPING=1": the graceful stop has begun (systemd then waits up to TimeoutStopSec=).
void notify_stopping();

// The interval systemd expects pings within (WatchdogSec=, passed as WATCHDOG_USEC and, when set,
// WATCHDOG_PID naming this process); nullopt when no watchdog applies to this process.
std::optional<std::chrono::microseconds> systemd_watchdog_interval();

// Sends WATCHDOG=1 from a timer on the broker's io_context every half watchdog interval, so the
// pings stop when the I/O threads stop running handlers. The first ping goes once the io_context
// runs. The timer lives on a strand of its own, so stop() from another thread never races a ping.
class WatchdogPinger {
 public:
  WatchdogPinger(boost::asio::io_context& io, std::chrono::microseconds interval);
  void start();
  // From any thread: no ping after this; the pending wait ends so the io_context can run out of
  // work.
  void stop();

 private:
  void ping_and_rearm();

  boost::asio::steady_timer timer_;  // on a strand
  const std::chrono::microseconds period_;
  bool stopped_ = false;  // only touched on the strand
};

}  // namespace jit::broker
