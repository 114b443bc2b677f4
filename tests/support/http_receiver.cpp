#include "tests/support/http_receiver.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>

namespace jit::testing {

HttpReceiver::HttpReceiver(std::vector<unsigned> statuses)
    : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
      statuses_(std::move(statuses)) {
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
  std::vector<std::string> out;
  for (const auto& request : requests_) out.push_back(request.body);
  return out;
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void HttpReceiver::answer_with(std::vector<unsigned> statuses) {
  std::lock_guard lock(mutex_);
  statuses_ = std::move(statuses);
  script_start_ = requests_.size();
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
    ReceivedRequest received;
    received.target = std::string(request.target());
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      received.headers[name] = std::string(field.value());
    }
    received.body = request.body();
    requests_.push_back(std::move(received));
    const std::size_t index = requests_.size() - 1 - script_start_;
    status = statuses_[std::min(index, statuses_.size() - 1)];
    if (status == kHang) {
      hung_.push_back(std::make_unique<boost::asio::ip::tcp::socket>(std::move(socket)));
      return;
    }
  }
  http::response<http::string_body> response{
      static_cast<http::status>(status == kHugeBody ? 200 : status), 11};
  response.body() = status == kHugeBody ? std::string(10 * 1024 * 1024, 'x') : "{}";
  response.prepare_payload();
  http::write(socket, response, ec);
}

}  // namespace jit::testing
