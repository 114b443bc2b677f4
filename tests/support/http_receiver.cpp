#include "tests/support/http_receiver.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>

namespace jit::testing {

HttpReceiver::HttpReceiver(std::vector<unsigned> statuses)
    : statuses_(std::move(statuses)),
      acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
  accept_next();
  thread_ = std::thread([this] { io_.run(); });
}

HttpReceiver::~HttpReceiver() {
  // A blocking accept() is not woken by close() from another thread, so the receiver is
  // asynchronous and stopping the io_context ends it.
  io_.stop();
  thread_.join();
}

std::vector<std::string> HttpReceiver::bodies() const {
  std::lock_guard lock(mutex_);
  return bodies_;
}

void HttpReceiver::accept_next() {
  acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
    if (ec) return;
    answer(socket);
    accept_next();
  });
}

void HttpReceiver::answer(boost::asio::ip::tcp::socket& socket) {
  namespace http = boost::beast::http;
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

}  // namespace jit::testing
