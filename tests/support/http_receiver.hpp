// A plain-HTTP receiver on 127.0.0.1 for tests of outgoing calls (webhooks): answers each request
// with the next status of a script (the last one repeats) and records what it received.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace jit::testing {

class HttpReceiver {
 public:
  explicit HttpReceiver(std::vector<unsigned> statuses)
      : statuses_(std::move(statuses)),
        acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept_next();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~HttpReceiver() {
    // A blocking accept() is not woken by close() from another thread, so the receiver is
    // asynchronous and stopping the io_context ends it.
    io_.stop();
    thread_.join();
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  void accept_next() {
    acceptor_.async_accept(
        [this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
          if (ec) return;
          answer(socket);
          accept_next();
        });
  }

  void answer(boost::asio::ip::tcp::socket& socket) {
    namespace http = boost::beast::http;
    {
      boost::system::error_code ec;
      boost::beast::flat_buffer buffer;
      http::request<http::string_body> request;
      http::read(socket, buffer, request, ec);
      if (ec) return;
      unsigned status;
      {
        std::lock_guard lock(mutex_);
        bodies_.push_back(request.body());
        status = statuses_[std::min(bodies_.size() - 1, statuses_.size() - 1)];
      }
      http::response<http::string_body> response{static_cast<http::status>(status), 11};
      response.body() = "{}";
      response.prepare_payload();
      http::write(socket, response, ec);
    }
  }

  std::vector<unsigned> statuses_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

}  // namespace jit::testing
