// A plain-HTTP receiver on 127.0.0.1 for tests of outgoing calls (webhooks): answers each request
// with the next status of a script (the last one repeats) and records what it received.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace jit::testing {

class HttpReceiver {
 public:
  explicit HttpReceiver(std::vector<unsigned> statuses);
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> bodies() const;

 private:
  void accept_next();
  void answer(boost::asio::ip::tcp::socket& socket);

  std::vector<unsigned> statuses_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

}  // namespace jit::testing
