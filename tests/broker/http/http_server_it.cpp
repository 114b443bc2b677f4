// The HTTPS server end to end over real TLS on 127.0.0.1: routing, keep-alive, asynchronous
// answers, JSON errors, start-up errors and graceful stop.
#include "broker/http/health_routes.hpp"
#include "tests/support/http_test_server.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <unistd.h>
#include <chrono>
#include <csignal>
#include <future>
#include <stdexcept>

namespace jit::broker {
namespace {

using testing::TestHttpsServer;
using namespace std::chrono_literals;

boost::json::object json_of(const HttpResponse& response) {
  return boost::json::parse(response.body()).as_object();
}

HttpRequest post_json(std::string_view target, std::string body,
                      std::string_view type = "application/json") {
  HttpRequest request(http::verb::post, target, 11);
  request.set(http::field::content_type, type);
  request.body() = std::move(body);
  return request;
}

TEST(HttpsServer, HealthzAndMetrics) {
  TestHttpsServer server;
  auto client = server.client();
  const HttpResponse health = client->get("/healthz");
  EXPECT_EQ(health.result(), http::status::ok);
  EXPECT_EQ(health.body(), R"({"status":"ok"})");
  EXPECT_EQ(health[http::field::content_type], "application/json");
  EXPECT_EQ(health[http::field::cache_control], "no-store");
  EXPECT_EQ(health[http::field::strict_transport_security], "max-age=31536000");
  EXPECT_TRUE(health.keep_alive());

  EXPECT_EQ(client->get("/nope").result(), http::status::not_found);
  const HttpResponse metrics = client->get("/metrics");
  EXPECT_EQ(metrics.result(), http::status::ok);
  EXPECT_EQ(metrics[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = metrics.body();
  EXPECT_NE(text.find(R"(jit_http_requests_total{route="/healthz",method="GET",status="200"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(jit_http_requests_total{route="unmatched",method="GET",status="404"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(jit_http_request_duration_seconds_count{route="/healthz"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find("jit_http_open_connections 1\n"), std::string::npos);
}

TEST(HttpsServer, KeepAliveServesManyRequestsOnOneConnection) {
  TestHttpsServer server;
  auto client = server.client();
  constexpr int kRequests = 500;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRequests; ++i) {
    const HttpResponse response = client->get("/items/n" + std::to_string(i));
    ASSERT_EQ(response.result(), http::status::ok);
    ASSERT_EQ(json_of(response).at("id").as_string(), "n" + std::to_string(i));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("keep-alive: %d sequential requests in %.3f s (%.0f/s)\n", kRequests, seconds,
              kRequests / seconds);
  // Asked on the same connection, so every earlier answer has been written and counted.
  const std::string text = client->get("/metrics").body();
  EXPECT_NE(text.find(R"(jit_http_connections_total{event="opened"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(route="/items/{id}",method="GET",status="200"} 500)"), std::string::npos);
}

TEST(HttpsServer, PipelinedRequestsAreAnsweredInOrder) {
  TestHttpsServer server;
  auto client = server.client();
  ASSERT_FALSE(
      client->write("GET /items/a HTTP/1.1\r\nHost: localhost\r\n\r\n"
                    "GET /async HTTP/1.1\r\nHost: localhost\r\n\r\n"
                    "GET /items/c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  HttpResponse first, second, third;
  ASSERT_FALSE(client->read(first));
  ASSERT_FALSE(client->read(second));
  ASSERT_FALSE(client->read(third));
  EXPECT_EQ(json_of(first).at("id").as_string(), "a");
  EXPECT_EQ(json_of(second).at("thread").as_string(), "worker");
  EXPECT_EQ(json_of(third).at("id").as_string(), "c");
  EXPECT_FALSE(third.keep_alive());
  EXPECT_TRUE(client->wait_closed(3s));
}

TEST(HttpsServer, AsyncHandlerAnswersFromAnotherThread) {
  TestHttpsServer server;
  auto client = server.client();
  for (int i = 0; i < 20; ++i) {
    const HttpResponse response = client->get("/async");
    ASSERT_EQ(response.result(), http::status::ok);
    EXPECT_EQ(json_of(response).at("thread").as_string(), "worker");
  }
}

TEST(HttpsServer, ASecondAnswerIsIgnored) {
  TestHttpsServer server;
  auto client = server.client();
  EXPECT_EQ(json_of(client->get("/twice")).at("answer").as_int64(), 1);
  // The late second answer arrives while this request waits; it must not be taken for its answer.
  const HttpResponse held_until_late = client->get("/async");
  EXPECT_EQ(json_of(held_until_late).at("thread").as_string(), "worker");
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(client->get("/healthz").body(), R"({"status":"ok"})");
}

TEST(HttpsServer, JsonErrorsAre4xxAndKeepTheConnection) {
  TestHttpsServer server;
  auto client = server.client();
  struct Case {
    std::string body;
    std::string_view type;
    unsigned status;
    std::string_view code;
  };
  const Case cases[] = {
      {"{bad", "application/json", 400, "invalid_json"},
      {R"({"a":1,"a":2})", "application/json", 400, "duplicate_key"},
      {"{\"a\":\"\xff\"}", "application/json", 400, "invalid_utf8"},
      {"[1]", "application/json", 400, "expected_object"},
      {"{}", "text/plain", 415, "unsupported_media_type"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    const HttpResponse response = client->request(post_json("/echo", c.body, c.type));
    EXPECT_EQ(response.result_int(), c.status);
    EXPECT_EQ(json_of(response).at("code").as_string(), c.code);
    EXPECT_EQ(response[http::field::content_type], "application/json");
    EXPECT_TRUE(response.keep_alive());
  }
  const HttpResponse ok = client->request(post_json("/echo", R"({"role":"prod-db-read"})"));
  EXPECT_EQ(ok.result(), http::status::ok);
  EXPECT_EQ(ok.body(), R"({"echo":{"role":"prod-db-read"}})");
}

TEST(HttpsServer, RoutingErrorsAndHandlerBugs) {
  TestHttpsServer server;
  auto client = server.client();
  const HttpResponse wrong_method =
      client->request(HttpRequest(http::verb::delete_, "/healthz", 11));
  EXPECT_EQ(wrong_method.result(), http::status::method_not_allowed);
  EXPECT_EQ(wrong_method[http::field::allow], "GET");
  EXPECT_EQ(client->get("/items/..%2f").result(), http::status::bad_request);
  EXPECT_EQ(client->get("/items//x").result(), http::status::bad_request);
  const HttpResponse boom = client->get("/boom");
  EXPECT_EQ(boom.result(), http::status::internal_server_error);
  EXPECT_EQ(boom.body(), R"({"error":"internal error","code":"internal_error"})");
  EXPECT_EQ(client->get("/remote").body(), R"({"remote_ip":"127.0.0.1"})");
  EXPECT_TRUE(server.healthy());
}

TEST(HttpsServer, PortInUseIsAOneLineStartUpError) {
  TestHttpsServer server;
  Router router;
  Metrics metrics;
  HttpsServer second(server.io(), server.tls(), server.endpoint(), router, metrics);
  try {
    second.start();
    FAIL() << "a second server started on a port in use";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot listen on 127.0.0.1:" + std::to_string(server.endpoint().port()) +
                  ": Address already in use");
  }
  EXPECT_TRUE(server.healthy());
}

TEST(HttpsServer, StopFinishesTheAnswerInFlightAndClosesIdleConnections) {
  TestHttpsServer server;
  auto idle_before = server.client();
  ASSERT_EQ(idle_before->get("/healthz").result(), http::status::ok);  // now idle, kept alive
  auto idle_fresh = server.client();                                   // handshaken, no request
  auto in_flight = server.client();
  ASSERT_FALSE(in_flight->write("GET /hold HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  ASSERT_TRUE(server.wait_held(1, 3s));

  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(server.stop_and_wait(200ms));  // the held request keeps it running
  EXPECT_TRUE(idle_before->wait_closed(2s));
  EXPECT_TRUE(idle_fresh->wait_closed(2s));
  auto late = server.client(false);
  EXPECT_TRUE(late->connect());  // no longer accepting

  server.release_held();
  HttpResponse answer;
  ASSERT_FALSE(in_flight->read(answer));
  EXPECT_EQ(answer.result(), http::status::ok);
  EXPECT_FALSE(answer.keep_alive());  // sent with Connection: close
  EXPECT_TRUE(in_flight->wait_closed(3s));
  EXPECT_TRUE(server.stop_and_wait(4s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(HttpsServer, StopWithConnectionsThatNeverAnswer) {
  TestHttpsServer server;
  auto idle = server.client();
  auto raw = server.client(false);
  ASSERT_FALSE(raw->connect_tcp());  // TCP only: the server waits in the TLS handshake
  auto half = server.client();
  ASSERT_FALSE(half->write("GET /healthz HTTP/1.1\r\nHo"));  // a request cut in the middle
  std::this_thread::sleep_for(100ms);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(server.stop_and_wait(3s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(ServerRunner, SigtermBeginsAGracefulShutdown) {
  testing::TempDir dir;
  const DevTlsFiles files = ensure_dev_tls_files(dir.path());
  auto tls = make_server_tls_context(files.cert_file, files.key_file);
  Router router;
  Metrics metrics;
  add_health_routes(router, metrics);
  boost::asio::io_context io;
  HttpsServer server(io, tls, {boost::asio::ip::make_address("127.0.0.1"), 0}, router, metrics);
  server.start();
  ServerRunner runner(io, server, {.threads = 2, .shutdown_grace = 5s, .handle_signals = true});
  bool hook_ran = false;
  runner.on_shutdown([&hook_ran] { hook_ran = true; });
  auto result = std::async(std::launch::async, [&runner] { return runner.run(); });

  testing::TlsTestClient client(server.local_endpoint(), files.cert_file);
  ASSERT_FALSE(client.connect());  // served, so run() has installed its signal handlers
  ASSERT_EQ(client.get("/healthz").result(), http::status::ok);
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  ASSERT_EQ(result.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(result.get(), SIGTERM);
  EXPECT_TRUE(hook_ran);
  EXPECT_TRUE(client.wait_closed(1s));
}

}  // namespace
}  // namespace jit::broker
