#include "support/load_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <stdexcept>

namespace jit::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

class LoadRun;

// One keep-alive connection: write a call, read its answer, report, take the next call.
class Connection {
 public:
  Connection(LoadRun& run, std::size_t index, asio::io_context& io, asio::ssl::context& tls)
      : run_(run), index_(index), stream_(io, tls) {}

  void connect(const asio::ip::tcp::endpoint& server) {
    beast::get_lowest_layer(stream_).socket().connect(server);
    beast::get_lowest_layer(stream_).socket().set_option(asio::ip::tcp::no_delay(true));
    if (!SSL_set_tlsext_host_name(stream_.native_handle(), "localhost")) {
      throw std::runtime_error("SNI setup failed");
    }
    stream_.set_verify_callback(asio::ssl::host_name_verification("localhost"));
    stream_.handshake(asio::ssl::stream_base::client);
  }

  bool idle() const { return idle_ && alive_; }
  void send(Clock::time_point scheduled, std::uint64_t sequence);
  void close() {
    alive_ = false;
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

 private:
  LoadRun& run_;
  std::size_t index_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  Clock::time_point scheduled_;
  bool idle_ = true;
  bool alive_ = true;
};

class LoadRun {
 public:
  explicit LoadRun(const LoadPlan& plan) : plan_(plan), tls_(asio::ssl::context::tls_client) {
    tls_.load_verify_file(plan.ca_file.string());
    tls_.set_verify_mode(asio::ssl::verify_peer);
    for (std::size_t i = 0; i < plan.connections; ++i) {
      connections_.push_back(std::make_unique<Connection>(*this, i, io_, tls_));
      connections_.back()->connect(plan.server);
    }
  }

  LoadReport run() {
    start_ = Clock::now();
    window_start_ = start_ + plan_.warmup;
    window_end_ = window_start_ + plan_.duration;
    asio::steady_timer end_timer(io_, window_end_);
    end_timer.async_wait([this](beast::error_code) { finish(); });
    if (plan_.rate_per_second > 0) {
      arrivals_timer_ = std::make_unique<asio::steady_timer>(io_);
      schedule_arrivals();
    } else {
      for (auto& connection : connections_) connection->send(Clock::now(), sequence_++);
    }
    io_.run();
    report_.seconds = std::chrono::duration<double>(plan_.duration).count();
    report_.backlog = waiting_.size();
    std::sort(report_.latencies_us.begin(), report_.latencies_us.end());
    return std::move(report_);
  }

  const LoadPlan& plan() const { return plan_; }

  // A connection finished a call (status 0: transport error) and is free again.
  void done(Connection& connection, Clock::time_point scheduled, unsigned status,
            const std::string& body, const std::string& error) {
    const auto now = Clock::now();
    if (status == plan_.expected_status) ++report_.answered;
    const bool measured = now >= window_start_ && now <= window_end_ && scheduled >= window_start_;
    if (measured) {
      if (status == plan_.expected_status) {
        ++report_.completed;
        report_.latencies_us.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - scheduled).count()));
        if (plan_.on_answer) plan_.on_answer(body);
      } else {
        ++report_.failed;
        if (status != 0) ++report_.other_statuses[status];
        if (report_.first_failure.empty()) {
          report_.first_failure = status != 0 ? std::to_string(status) + " " + body : error;
        }
      }
    }
    if (stopping_) return connection.close();
    if (status == 0) return connection.close();
    next_for(connection);
  }

 private:
  void next_for(Connection& connection) {
    if (plan_.rate_per_second <= 0) return connection.send(Clock::now(), sequence_++);
    if (!waiting_.empty()) {
      const auto scheduled = waiting_.front();
      waiting_.pop_front();
      connection.send(scheduled, sequence_++);
    }
  }

  // Open loop: every millisecond, the calls due by now join the queue; idle connections take them.
  void schedule_arrivals() {
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const auto due = static_cast<std::uint64_t>(elapsed * plan_.rate_per_second);
    const auto interval = std::chrono::duration<double>(1.0 / plan_.rate_per_second);
    while (arrived_ < due) {
      waiting_.push_back(start_ + std::chrono::duration_cast<Clock::duration>(
                                      interval * static_cast<double>(arrived_)));
      ++arrived_;
    }
    for (auto& connection : connections_) {
      if (waiting_.empty()) break;
      if (connection->idle()) next_for(*connection);
    }
    if (stopping_) return;
    arrivals_timer_->expires_after(std::chrono::milliseconds(1));
    arrivals_timer_->async_wait([this](beast::error_code ec) {
      if (!ec) schedule_arrivals();
    });
  }

  void finish() {
    stopping_ = true;
    if (arrivals_timer_) arrivals_timer_->cancel();
    // Calls still in flight are cut off: they would end after the window and are not counted.
    for (auto& connection : connections_) connection->close();
  }

  const LoadPlan& plan_;
  asio::io_context io_;
  asio::ssl::context tls_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::unique_ptr<asio::steady_timer> arrivals_timer_;
  std::deque<Clock::time_point> waiting_;
  std::uint64_t arrived_ = 0;
  std::uint64_t sequence_ = 0;
  Clock::time_point start_, window_start_, window_end_;
  bool stopping_ = false;
  LoadReport report_;
};

void Connection::send(Clock::time_point scheduled, std::uint64_t sequence) {
  if (!alive_) return;
  idle_ = false;
  scheduled_ = scheduled;
  auto call = run_.plan().next_call(index_, sequence);
  request_ = {};
  request_.method(http::verb::post);
  request_.target(call.target);
  request_.version(11);
  request_.set(http::field::host, "localhost");
  request_.set(http::field::content_type, "application/json");
  request_.set(http::field::authorization, call.authorization);
  request_.body() = std::move(call.body);
  request_.prepare_payload();
  http::async_write(stream_, request_, [this](beast::error_code ec, std::size_t) {
    if (ec) {
      idle_ = true;
      return run_.done(*this, scheduled_, 0, {}, "write: " + ec.message());
    }
    response_ = {};
    http::async_read(stream_, buffer_, response_, [this](beast::error_code read_ec, std::size_t) {
      idle_ = true;
      if (read_ec) return run_.done(*this, scheduled_, 0, {}, "read: " + read_ec.message());
      run_.done(*this, scheduled_, response_.result_int(), response_.body(), {});
    });
  });
}

}  // namespace

double LoadReport::percentile_ms(double q) const {
  if (latencies_us.empty()) return 0;
  const auto rank =
      static_cast<std::size_t>(std::ceil(q * static_cast<double>(latencies_us.size())));
  const auto index = std::min(latencies_us.size() - 1, rank == 0 ? 0 : rank - 1);
  return latencies_us[index] / 1000.0;
}

LoadReport run_load(const LoadPlan& plan) {
  LoadRun run(plan);
  return run.run();
}

}  // namespace jit::bench
