#include "broker/systemd_notify.hpp"

#include "broker/log.hpp"

#include <systemd/sd-daemon.h>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <system_error>

namespace jit::broker {
namespace {

void send_notification(const std::string& state) {
  // 0 without NOTIFY_SOCKET; a failure to reach systemd is logged but never stops the broker.
  if (const int result = ::sd_notify(0, state.c_str()); result < 0) {
    log_event(LogLevel::warning, "systemd_notify_failed",
              {{"state", state.substr(0, state.find('\n'))},
               {"error", std::system_category().message(-result)}});
  }
}

}  // namespace

void notify_ready(const std::string& listen) {
  send_notification("READY=1\nSTATUS=serving on " + listen);
}

void notify_stopping() { send_notification("STOPPING=1\nSTATUS=stopping"); }

std::optional<std::chrono::microseconds> systemd_watchdog_interval() {
  std::uint64_t usec = 0;
  // Checks WATCHDOG_PID too, so a child that inherited the variables does not ping for us.
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

WatchdogPinger::WatchdogPinger(boost::asio::io_context& io, std::chrono::microseconds interval)
    : timer_(boost::asio::make_strand(io)), period_(interval / 2) {}

void WatchdogPinger::start() {
  boost::asio::post(timer_.get_executor(), [this] { ping_and_rearm(); });
}

void WatchdogPinger::stop() {
  boost::asio::post(timer_.get_executor(), [this] {
    stopped_ = true;
    timer_.cancel();
  });
}

void WatchdogPinger::ping_and_rearm() {
  if (stopped_) return;
  send_notification("WATCHDOG=1");
  timer_.expires_after(period_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) ping_and_rearm();
  });
}

}  // namespace jit::broker
