// The broker's HTTPS listener: accepts TLS connections and hands each to an HttpsSession, which
// answers through the Router. Runs on whatever threads run the io_context (see ServerRunner).
#pragma once

#include "broker/http/http_limits.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>

namespace jit::broker {

class Router;
class Metrics;

class HttpsServer {
 public:
  // Nothing is opened yet. `tls`, `router` and `metrics` must outlive the io_context's work.
  HttpsServer(boost::asio::io_context& io, boost::asio::ssl::context& tls,
              const boost::asio::ip::tcp::endpoint& endpoint, const Router& router,
              Metrics& metrics, HttpLimits limits = {});
  ~HttpsServer();  // stop()
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // Binds, listens and starts accepting. A start-up error (port in use, no permission, bad
  // address) throws std::runtime_error with one line: "cannot listen on 127.0.0.1:8443: ...".
  void start();

  // From any thread, idempotent: closes the acceptor, closes idle connections, and lets each
  // request being answered finish its answer (sent with Connection: close). Returns at once; the
  // io_context runs out of work when the last connection has closed.
  void stop();

  // The bound address; with port 0 in the constructor, the port the system chose. Valid after
  // start().
  [[nodiscard]] boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  class Listener;
  std::shared_ptr<Listener> listener_;
};

}  // namespace jit::broker
