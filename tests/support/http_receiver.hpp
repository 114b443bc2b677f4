// A plain-HTTP receiver on 127.0.0.1 for tests of outgoing calls (webhooks): answers each request
// with the next status of a script (the last one repeats) and records what it received. Two
// pseudo statuses play a bad receiver: kHang reads the request and never answers, kHugeBody
// answers 200 with a 10 MB body.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace jit::testing {

struct ReceivedRequest {
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

class HttpReceiver {
 public:
  static constexpr unsigned kHang = 0;
  static constexpr unsigned kHugeBody = 1;

  explicit HttpReceiver(std::vector<unsigned> statuses);
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> bodies() const;
  std::vector<ReceivedRequest> requests() const;
  // A new script for the requests from now on.
  void answer_with(std::vector<unsigned> statuses);

 private:
  void accept_next();
  void answer(boost::asio::ip::tcp::socket& socket);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  mutable std::mutex mutex_;
  std::vector<unsigned> statuses_;
  std::size_t script_start_ = 0;  // requests_.size() when the script was set
  std::vector<ReceivedRequest> requests_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> hung_;  // kept open, never answered
  std::thread thread_;
};

}  // namespace jit::testing
