#include "broker/workers/revocation_listener.hpp"

#include "broker/log.hpp"
#include "broker/store/access_records.hpp"

#include <pthread.h>
#include <unistd.h>

namespace jit::broker {

RevocationListener::RevocationListener(boost::asio::io_context& io, Connect connect,
                                       std::function<void()> wake,
                                       std::chrono::milliseconds reconnect_pause)
    : io_(io),
      connect_(std::move(connect)),
      wake_(std::move(wake)),
      reconnect_pause_(reconnect_pause) {}

RevocationListener::~RevocationListener() { stop(); }

void RevocationListener::start() {
  if (thread_.joinable()) return;
  std::string error;
  auto connection = open_listening(error);
  {
    std::lock_guard lock(mutex_);
    stopped_ = false;
    if (connection) {
      install(std::move(*connection));
    } else {
      log_lost(error);
    }
  }
  // At start the publisher has just read everything; the wake matters after reconnects, but is
  // as cheap here (one read of the generation).
  if (connection && wake_) wake_();
  thread_ = std::thread([this] { run(); });
}

void RevocationListener::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    socket_.reset();  // the pending wait ends with operation_aborted
    connection_.reset();
    listening_ = false;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<pg::Connection> RevocationListener::open_listening(std::string& error) const {
  try {
    auto connection = connect_();
    connection.listen(kRevocationChannel);
    // LISTEN may have read notifications already; the wake that follows covers them.
    connection.take_notifications();
    return connection;
  } catch (const pg::Error& e) {
    error = e.what();  // never holds the password
    return std::nullopt;
  }
}

void RevocationListener::install(pg::Connection connection) {
  try {
    connection_.emplace(std::move(connection));
    socket_.emplace(io_, connection_->socket());
  } catch (const boost::system::system_error& e) {
    // A socket the reactor refuses is as good as a lost connection: the thread tries again.
    return lose_connection(e.what());
  }
  ++connections_;
  listening_ = true;
  if (lost_) {
    log_event(LogLevel::info, "revocation_listener_restored",
              {{"pid", std::to_string(::getpid())}});
  }
  lost_ = false;
  wait_readable();
}

void RevocationListener::run() {
  ::pthread_setname_np(::pthread_self(), "revocation-conn");
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopped_ || !connection_; });
    if (stopped_) return;
    lock.unlock();
    std::string error;
    auto connection = open_listening(error);
    lock.lock();
    if (stopped_) return;
    if (!connection) {
      log_lost(error);
      changed_.wait_for(lock, reconnect_pause_, [this] { return stopped_; });
      continue;
    }
    install(std::move(*connection));
    if (!connection_) continue;
    // Notifications sent while no connection listened are lost: the wake reads the generation.
    lock.unlock();
    if (wake_) wake_();
    lock.lock();
  }
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
                                     if (stopped_ || !connection_) return;
                                     wake = on_readable(ec);
                                   }
                                   if (wake && wake_) wake_();
                                 });
}

bool RevocationListener::on_readable(boost::system::error_code ec) {
  if (ec) {
    lose_connection(ec.message());
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
  wait_readable();
  // The reactor waits for the socket edge-triggered: what arrived between the read above and the
  // wait just armed raised its edge before anyone waited, so it is read now (a later arrival
  // completes the armed wait).
  try {
    received += connection_->take_notifications().size();
  } catch (const pg::Error& e) {
    lose_connection(e.what());  // cancels the armed wait
    return false;
  }
  notifications_ += received;
  return received > 0;
}

void RevocationListener::lose_connection(const std::string& why) {
  socket_.reset();
  connection_.reset();
  listening_ = false;
  log_lost(why);
  changed_.notify_all();
}

void RevocationListener::log_lost(const std::string& why) {
  if (!lost_) {
    log_event(LogLevel::warning, "revocation_listener_lost",
              {{"error", why}, {"retry_in_ms", std::to_string(reconnect_pause_.count())}});
  }
  lost_ = true;
}

}  // namespace jit::broker
