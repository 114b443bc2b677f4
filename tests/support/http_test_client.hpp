// A blocking HTTPS client for integration tests, with a deadline on every step so that a server
// bug fails a test instead of hanging it. It can also misbehave on purpose: raw bytes, a TCP
// connection without TLS, or a request trickled a byte at a time.
#pragma once

#include "broker/http/http_types.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace jit::testing {

class TlsTestClient {
 public:
  // Trusts only `ca_file` (the dev certificate) and checks that it names "localhost".
  TlsTestClient(boost::asio::ip::tcp::endpoint server, const std::filesystem::path& ca_file,
                std::chrono::milliseconds step_timeout = std::chrono::seconds(5));

  // Connects from `source` (e.g. 127.0.0.2, another loopback address on Linux) instead of the
  // address the system picks. Call before connect_tcp().
  boost::system::error_code bind_source(const boost::asio::ip::address& source);
  boost::system::error_code connect_tcp();
  boost::system::error_code handshake();
  boost::system::error_code connect() {  // TCP connect, then the TLS handshake
    auto ec = connect_tcp();
    return ec ? ec : handshake();
  }

  boost::system::error_code write(std::string_view bytes);         // over TLS
  boost::system::error_code write_plain(std::string_view bytes);   // over bare TCP
  boost::system::error_code read(broker::HttpResponse& response);  // one response
  // Sends a request (Host: localhost, Content-Length set) and reads one answer; throws
  // std::runtime_error naming the step when something fails.
  broker::HttpResponse request(broker::HttpRequest request);
  broker::HttpResponse get(std::string_view target);

  // Reads until the server closes the connection, up to `limit`. Returns true when it closed (EOF,
  // TLS close_notify, reset or truncation), false on the deadline. `received` gets every byte.
  bool wait_closed(std::chrono::milliseconds limit, std::string* received = nullptr,
                   bool over_tls = true);
  // True when the socket has something to read (data or EOF) within `limit`; nothing is consumed.
  bool readable_within(std::chrono::milliseconds limit);

  // Ends the sending half of the TCP connection (a FIN after the bytes written so far), as a client
  // that stops mid-message does; reading stays possible.
  boost::system::error_code shutdown_send();
  void close();

 private:
  template <typename Operation>
  boost::system::error_code run(std::chrono::milliseconds timeout, Operation operation);

  boost::asio::io_context io_;
  boost::asio::ssl::context tls_;
  boost::asio::ip::tcp::endpoint server_;
  std::chrono::milliseconds step_timeout_;
  boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace jit::testing
