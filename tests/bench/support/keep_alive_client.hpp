// A blocking HTTPS client that keeps one TLS connection to the broker open across calls, as a
// script or a CI job talking to the API would. For benchmarks that run a sequence of different
// calls per worker thread; throws std::runtime_error when the connection fails.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json.hpp>

#include <filesystem>
#include <string>

namespace jit::bench {

struct CallResult {
  unsigned status = 0;
  boost::json::value body;  // null when the answer had no JSON body
};

class KeepAliveClient {
 public:
  KeepAliveClient(unsigned short port, const std::filesystem::path& ca_file);
  CallResult call(boost::beast::http::verb method, const std::string& target,
                  const std::string& token, const boost::json::object* body = nullptr);

 private:
  void connect();

  unsigned short port_;
  boost::asio::io_context io_;
  boost::asio::ssl::context tls_;
  std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace jit::bench
