#include "broker/http/server.hpp"

#include "broker/http/session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace jit::broker {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// After an accept error such as EMFILE, wait before trying again instead of spinning.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + address + "]:" + port : address + ":" + port;
}

}  // namespace

class HttpsServer::Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, asio::ssl::context& tls, const tcp::endpoint& endpoint,
           const Router& router, Metrics& metrics, const HttpLimits& limits)
      : io_(io),
        tls_(tls),
        requested_(endpoint),
        acceptor_(asio::make_strand(io)),
        retry_timer_(acceptor_.get_executor()),
        registry_(std::make_shared<SessionRegistry>(io, router, metrics, limits)) {}

  void start() {
    if (started_) throw std::logic_error("HttpsServer::start called twice");
    started_ = true;
    boost::system::error_code ec;
    acceptor_.open(requested_.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(requested_, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) bound_ = acceptor_.local_endpoint(ec);
    if (ec) {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      throw std::runtime_error("cannot listen on " + endpoint_text(requested_) + ": " +
                               ec.message());
    }
    asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  }

  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_timer_.cancel();
    });
    std::vector<std::shared_ptr<HttpsSession>> live;
    {
      const std::lock_guard lock(registry_->mutex);
      registry_->stopping = true;
      live.reserve(registry_->sessions.size());
      for (const auto& [slot, session] : registry_->sessions) {
        // Empty when the session is being destroyed right now (it waits on this mutex).
        if (auto owner = session->weak_from_this().lock()) live.push_back(std::move(owner));
      }
    }
    // Outside the lock: dropping the last reference runs a destructor that takes the lock.
    for (const auto& session : live) session->stop();
  }

  tcp::endpoint local_endpoint() const { return bound_; }

 private:
  void do_accept() {
    if (!acceptor_.is_open()) return;
    // Each connection gets a strand of its own: its handlers never run concurrently, and a
    // handler may answer from any thread by posting onto it.
    acceptor_.async_accept(asio::make_strand(io_), boost::beast::bind_front_handler(
                                                       &Listener::on_accept, shared_from_this()));
  }

  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (!wait_ec) self->do_accept();
      });
      return;
    }
    HttpsSession::serve(std::move(socket), tls_, registry_);
    do_accept();
  }

  asio::io_context& io_;
  asio::ssl::context& tls_;
  const tcp::endpoint requested_;
  tcp::endpoint bound_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::shared_ptr<SessionRegistry> registry_;
  bool started_ = false;
};

HttpsServer::HttpsServer(asio::io_context& io, asio::ssl::context& tls,
                         const tcp::endpoint& endpoint, const Router& router, Metrics& metrics,
                         HttpLimits limits)
    : listener_(std::make_shared<Listener>(io, tls, endpoint, router, metrics, limits)) {}

HttpsServer::~HttpsServer() { stop(); }

void HttpsServer::start() { listener_->start(); }

void HttpsServer::stop() { listener_->stop(); }

tcp::endpoint HttpsServer::local_endpoint() const { return listener_->local_endpoint(); }

}  // namespace jit::broker
