#include "tests/support/http_test_server.hpp"

#include "broker/http/health_routes.hpp"
#include "broker/http/json_response.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>

#include <stdexcept>

namespace jit::testing {

using namespace jit::broker;  // the HTTP layer's types, which these helpers drive
namespace {
namespace asio = boost::asio;
}  // namespace

HttpLimits test_limits() {
  HttpLimits limits;
  limits.read_timeout = std::chrono::seconds(2);
  return limits;
}

TestHttpsServer::TestHttpsServer(HttpLimits limits, const RouteInstaller& extra_routes)
    : tls_files_(ensure_dev_tls_files(dir_.path())),
      tls_(make_server_tls_context(tls_files_.cert_file, tls_files_.key_file)),
      server_(io_, tls_, {asio::ip::make_address("127.0.0.1"), 0}, router_, metrics_, limits),
      runner_(io_, server_,
              {.threads = 2, .shutdown_grace = std::chrono::seconds(4), .handle_signals = false}) {
  std::promise<std::thread::id> worker_id;
  asio::post(worker_, [&worker_id] { worker_id.set_value(std::this_thread::get_id()); });
  worker_thread_ = worker_id.get_future().get();
  add_routes();
  if (extra_routes) extra_routes(router_);
  server_.start();
  run_result_ = std::async(std::launch::async, [this] { return runner_.run(); });
}

TestHttpsServer::~TestHttpsServer() {
  release_held();
  worker_.join();  // every answer from the worker is posted before the server goes away
  runner_.stop();
  run_result_.wait();
}

void TestHttpsServer::add_routes() {
  add_health_routes(router_, metrics_);
  router_.add(http::verb::post, "/echo", [](RequestContext&& context, Responder respond) {
    JsonBodyResult body = parse_json_body(context.request);
    if (!body) return respond(body.error());
    respond(json_response(http::status::ok, boost::json::object{{"echo", std::move(*body)}}));
  });
  router_.add(http::verb::get, "/async", [this](RequestContext&&, Responder respond) {
    asio::post(worker_, [this, respond] {
      const bool on_worker = std::this_thread::get_id() == worker_thread_;
      respond(json_response(http::status::ok,
                            boost::json::object{{"thread", on_worker ? "worker" : "other"}}));
    });
  });
  router_.add(http::verb::get, "/twice", [this](RequestContext&&, Responder respond) {
    respond(json_response(http::status::ok, boost::json::object{{"answer", 1}}));
    asio::post(worker_, [respond] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      respond(json_response(http::status::ok, boost::json::object{{"answer", 2}}));
    });
  });
  router_.add(http::verb::get, "/boom", [](RequestContext&&, Responder) {
    throw std::runtime_error("handler bug with a secret detail");
  });
  router_.add(http::verb::get, "/remote", [](RequestContext&& context, Responder respond) {
    respond(json_response(http::status::ok, boost::json::object{{"remote_ip", context.remote_ip}}));
  });
  router_.add(http::verb::get, "/hold", [this](RequestContext&&, Responder respond) {
    const std::lock_guard lock(held_mutex_);
    held_.push_back(std::move(respond));
    held_changed_.notify_all();
  });
  router_.add(http::verb::get, "/items/{id}", [](RequestContext&& context, Responder respond) {
    respond(json_response(http::status::ok, boost::json::object{{"id", context.params.at("id")}}));
  });
}

std::unique_ptr<TlsTestClient> TestHttpsServer::client(bool connect) const {
  auto client = std::make_unique<TlsTestClient>(endpoint(), ca_file());
  if (connect) {
    const auto ec = client->connect();
    if (ec) throw std::runtime_error("cannot connect to the test server: " + ec.message());
  }
  return client;
}

bool TestHttpsServer::healthy() const {
  try {
    const HttpResponse response = client()->get("/healthz");
    return response.result() == http::status::ok && response.body() == R"({"status":"ok"})";
  } catch (const std::exception&) {
    return false;
  }
}

bool TestHttpsServer::wait_held(std::size_t count, std::chrono::milliseconds limit) {
  std::unique_lock lock(held_mutex_);
  return held_changed_.wait_for(lock, limit, [&] { return held_.size() >= count; });
}

void TestHttpsServer::release_held() {
  std::vector<Responder> held;
  {
    const std::lock_guard lock(held_mutex_);
    held.swap(held_);
  }
  for (std::size_t i = 0; i < held.size(); ++i) {
    held[i](json_response(http::status::ok, boost::json::object{{"held", i}}));
  }
}

bool TestHttpsServer::stop_and_wait(std::chrono::milliseconds limit) {
  runner_.stop();
  return run_result_.wait_for(limit) == std::future_status::ready;
}

}  // namespace jit::testing
