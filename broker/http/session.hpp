// One TLS connection: handshake, then read a request, let the router answer it, write the answer,
// and repeat while the client keeps the connection alive. One request is in flight at a time, so
// pipelined requests wait in the socket and in a bounded buffer. Every step has a deadline.
#pragma once

#include "broker/http/connection_slots.hpp"
#include "broker/http/http_limits.hpp"
#include "broker/http/http_types.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace jit::broker {

class Router;
class Metrics;
struct RequestLog;
class HttpsSession;

// What a server shares with its sessions. Sessions hold it, so it outlives the HttpsServer object
// while their handlers still run; the Router and Metrics must outlive the io_context's work.
struct SessionRegistry {
  SessionRegistry(boost::asio::io_context& i, const Router& r, Metrics& m, const HttpLimits& l)
      : io(i),
        router(r),
        metrics(m),
        limits(l),
        slots(l.max_connections, l.max_connections_per_source) {}

  boost::asio::io_context& io;
  const Router& router;
  Metrics& metrics;
  const HttpLimits limits;
  std::mutex mutex;       // guards the three fields below
  ConnectionSlots slots;  // the connection caps; an evicted session gives its slot up at once
  // Live sessions by slot id, evicted ones too until they are destroyed: for eviction and stop().
  std::unordered_map<ConnectionSlots::Id, HttpsSession*> sessions;
  bool stopping = false;
};

class HttpsSession : public std::enable_shared_from_this<HttpsSession> {
 public:
  // Serves an accepted socket (whose executor is a strand of its own), or closes it at once when
  // the server is stopping or no connection slot can be had (see ConnectionSlots). Never throws.
  static void serve(boost::asio::ip::tcp::socket&& socket, boost::asio::ssl::context& tls,
                    const std::shared_ptr<SessionRegistry>& registry) noexcept;

  HttpsSession(boost::asio::ip::tcp::socket&& socket, boost::asio::ssl::context& tls,
               std::shared_ptr<SessionRegistry> registry);
  ~HttpsSession();
  HttpsSession(const HttpsSession&) = delete;
  HttpsSession& operator=(const HttpsSession&) = delete;

  // From any thread: an idle or half-read connection closes now; a request being answered gets its
  // answer (with Connection: close) first.
  void stop();

 private:
  enum class Step { handshake, read, handle, write, shutdown, closed };

  void do_handshake();
  void on_first_bytes(boost::beast::error_code ec, std::size_t bytes);
  void on_handshake(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void handle_request();
  void on_response(std::uint64_t sequence, HttpResponse&& response);
  void answer_and_close(http::status status, std::string_view code, std::string_view message);
  void do_write(bool close_after);
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void log_access(std::string_view method);
  void do_shutdown();
  void on_shutdown(boost::beast::error_code ec);
  void on_stop();
  void fail(boost::beast::error_code ec, std::string_view step);
  void close_socket();

  std::shared_ptr<SessionRegistry> registry_;
  boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
  const boost::asio::any_io_executor executor_;  // the session's strand; responders post here
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // While a handler works on an answer no I/O is pending, so this tells the io_context that work
  // remains: a graceful shutdown then waits for the answer instead of returning under it.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      answer_pending_;
  HttpResponse response_;
  std::string remote_ip_;
  // The first bytes of the ClientHello, read under first_byte_timeout and handed to the handshake.
  std::array<char, 512> first_bytes_{};

  Step step_ = Step::handshake;
  ConnectionSlots::Id slot_ = 0;
  bool registered_ = false;
  bool stopping_ = false;
  bool keep_alive_ = false;
  bool close_after_write_ = false;
  bool awaiting_response_ = false;
  std::uint64_t request_sequence_ = 0;  // a Responder answers only the request it was made for
  http::verb method_ = http::verb::unknown;
  std::string_view route_;
  std::chrono::steady_clock::time_point request_read_at_;
  // The request being answered's id and user, for its access line (broker/log.hpp).
  std::shared_ptr<RequestLog> request_log_;
};

}  // namespace jit::broker
