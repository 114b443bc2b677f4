#include "broker/workers/revocation_listener.hpp"

#include "broker/log.hpp"
#include "broker/store/access_records.hpp"

#include <unistd.h>

#include <string>

namespace jit::broker {

RevocationListener::RevocationListener(boost::asio::io_context& io, Connect connect,
                                       std::function<void()> wake,
                                       std::chrono::milliseconds reconnect_pause)
    : io_(io),
      connect_(std::move(connect)),
      wake_(std::move(wake)),
      reconnect_pause_(reconnect_pause),
      reconnect_timer_(io) {}

RevocationListener::~RevocationListener() { stop(); }

void RevocationListener::start() {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    stopped_ = false;
    wake = connect_and_listen();
  }
  // At start the publisher has just read everything; the wake matters after reconnects only, but
  // is as cheap here (one read of the generation).
  if (wake && wake_) wake_();
}

void RevocationListener::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  reconnect_timer_.cancel();
  socket_.reset();  // the pending wait ends with operation_aborted
  connection_.reset();
  listening_ = false;
}

bool RevocationListener::connect_and_listen() {
  try {
    connection_.emplace(connect_());
    connection_->listen(kRevocationChannel);
    // LISTEN may have read notifications already; they are covered by the wake that follows.
    connection_->take_notifications();
    socket_.emplace(io_, connection_->socket());
  } catch (const std::exception& e) {
    // pg::Error never holds the password; a descriptor Asio refuses is as good as a lost server.
    socket_.reset();
    connection_.reset();
    if (!lost_) {
      log_event(LogLevel::warning, "revocation_listener_lost",
                {{"error", e.what()}, {"retry_in_ms", std::to_string(reconnect_pause_.count())}});
    }
    lost_ = true;
    arm_reconnect();
    return false;
  }
  ++connections_;
  listening_ = true;
  if (lost_) {
    log_event(LogLevel::info, "revocation_listener_restored",
              {{"pid", std::to_string(::getpid())}});
  }
  lost_ = false;
  wait_readable();
  return true;
}

void RevocationListener::wait_readable() {
  socket_->descriptor.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                                 [this](boost::system::error_code ec) {
                                   // Aborted: stop() or a lost connection released the socket; this
                                   // object may be gone.
                                   if (ec == boost::asio::error::operation_aborted) return;
                                   bool wake = false;
                                   {
                                     std::lock_guard lock(mutex_);
                                     if (stopped_) return;
                                     wake = on_readable(ec);
                                   }
                                   if (wake && wake_) wake_();
                                 });
}

bool RevocationListener::on_readable(boost::system::error_code ec) {
  if (ec) {
    lose_connection(ec.message().c_str());
    return false;
  }
  std::size_t received = 0;
  try {
    received = connection_->take_notifications().size();
  } catch (const pg::Error& e) {
    lose_connection(e.what());
    return false;
  }
  // A closed connection reads as readable until libpq notices: then it is not ok() any more.
  if (!connection_->ok()) {
    lose_connection("the server closed the connection");
    return false;
  }
  notifications_ += received;
  wait_readable();
  return received > 0;
}

void RevocationListener::lose_connection(const char* why) {
  socket_.reset();
  connection_.reset();
  listening_ = false;
  if (!lost_) {
    log_event(LogLevel::warning, "revocation_listener_lost",
              {{"error", why}, {"retry_in_ms", std::to_string(reconnect_pause_.count())}});
  }
  lost_ = true;
  arm_reconnect();
}

void RevocationListener::arm_reconnect() {
  reconnect_timer_.expires_after(reconnect_pause_);
  // A cancelled wait (stop) touches nothing of this object, which may be gone by then.
  reconnect_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) reconnect();
  });
}

void RevocationListener::reconnect() {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    // Notifications sent while no connection listened are lost: the wake reads the generation.
    wake = connect_and_listen();
  }
  if (wake && wake_) wake_();
}

}  // namespace jit::broker
