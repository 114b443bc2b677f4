// An HttpsServer on 127.0.0.1, a port chosen by the system, with a dev certificate in a temporary
// folder and test routes, run by a ServerRunner on two threads. Always stopped by its destructor.
#pragma once

#include "broker/http/http_limits.hpp"
#include "broker/http/metrics.hpp"
#include "broker/http/router.hpp"
#include "broker/http/server.hpp"
#include "broker/http/server_runner.hpp"
#include "broker/http/tls_context.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace jit::testing {

// Short enough that timeout tests take about two seconds.
broker::HttpLimits test_limits();

// Routes, besides /healthz and /metrics:
//   POST /echo          strict JSON body, answered back as {"echo": body}
//   GET  /async         answered from the worker thread: {"thread": "worker"}
//   GET  /twice         answered at once, and again 50 ms later from the worker (must be ignored)
//   GET  /boom          throws
//   GET  /remote        {"remote_ip": ...}
//   GET  /hold          answered only by release_held()
//   GET  /items/{id}    {"id": ...}
// plus whatever `extra_routes` adds before the server starts (e.g. canned API answers).
class TestHttpsServer {
 public:
  using RouteInstaller = std::function<void(broker::Router&)>;
  explicit TestHttpsServer(broker::HttpLimits limits = test_limits(),
                           const RouteInstaller& extra_routes = {});
  ~TestHttpsServer();
  TestHttpsServer(const TestHttpsServer&) = delete;
  TestHttpsServer& operator=(const TestHttpsServer&) = delete;

  boost::asio::ip::tcp::endpoint endpoint() const { return server_.local_endpoint(); }
  const std::filesystem::path& ca_file() const { return tls_files_.cert_file; }
  broker::Metrics& metrics() { return metrics_; }
  boost::asio::io_context& io() { return io_; }
  const broker::Router& router() const { return router_; }
  boost::asio::ssl::context& tls() { return tls_; }

  // A client with TCP and TLS done (or failed: see the client's own connect()).
  std::unique_ptr<TlsTestClient> client(bool connect = true) const;
  // GET /healthz on a new connection answers 200 {"status":"ok"}.
  bool healthy() const;

  // Waits until `count` /hold requests are waiting, then answers them all with 200 {"held": n}.
  bool wait_held(std::size_t count, std::chrono::milliseconds limit);
  void release_held();

  // Begins the graceful shutdown; true when run() returned within `limit`.
  bool stop_and_wait(std::chrono::milliseconds limit);

 private:
  void add_routes();

  TempDir dir_;
  broker::DevTlsFiles tls_files_;
  boost::asio::ssl::context tls_;
  broker::Metrics metrics_;
  broker::Router router_;
  boost::asio::io_context io_;
  broker::HttpsServer server_;
  broker::ServerRunner runner_;
  boost::asio::thread_pool worker_{1};
  std::thread::id worker_thread_;
  std::future<int> run_result_;

  std::mutex held_mutex_;
  std::condition_variable held_changed_;
  std::vector<broker::Responder> held_;
};

}  // namespace jit::testing
