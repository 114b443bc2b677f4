// The web page and its security headers over real HTTPS on 127.0.0.1: whatever answers (a page
// file, a handler that built a bare response, the router's errors, the server's own refusals of
// malformed requests), the browser gets the CSP, nosniff, no-referrer and HSTS headers.
#include "broker/http/web_assets.hpp"
#include "broker/http/web_routes.hpp"
#include "tests/support/http_test_server.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jit::broker {
namespace {

using testing::TestHttpsServer;

void expect_browser_headers(const HttpResponse& response, const std::string& what) {
  EXPECT_EQ(response["Content-Security-Policy"], "default-src 'self'; frame-ancestors 'none'")
      << what;
  EXPECT_EQ(response["X-Content-Type-Options"], "nosniff") << what;
  EXPECT_EQ(response["Referrer-Policy"], "no-referrer") << what;
  EXPECT_EQ(response[http::field::strict_transport_security], "max-age=31536000") << what;
}

TestHttpsServer::RouteInstaller page_routes() {
  return [](Router& router) {
    add_web_routes(router, web_assets());
    // A handler that forgot every header: the server still adds the browser's.
    router.add(http::verb::get, "/bare", [](RequestContext&&, Responder respond) {
      HttpResponse response(http::status::ok, 11);
      response.set(http::field::content_type, "text/plain");
      response.body() = "bare";
      respond(std::move(response));
    });
  };
}

TEST(WebServing, PageAndAssetsOverHttpsWithTheirHeaders) {
  TestHttpsServer server(testing::test_limits(), page_routes());
  auto client = server.client();
  const HttpResponse page = client->get("/");
  ASSERT_EQ(page.result(), http::status::ok);
  EXPECT_EQ(page[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(page[http::field::cache_control], "no-store");
  EXPECT_NE(page.body().find("<script type=\"module\" src=\"/web/app.js\"></script>"),
            std::string::npos);
  expect_browser_headers(page, "/");
  for (const auto& asset : web_assets()) {
    const HttpResponse file = client->get("/web/" + std::string(asset.name));
    EXPECT_EQ(file.result(), http::status::ok) << asset.name;
    EXPECT_EQ(file[http::field::content_type], asset.content_type) << asset.name;
    EXPECT_EQ(file.body(), asset.body) << asset.name;
    expect_browser_headers(file, std::string(asset.name));
  }
}

TEST(WebServing, EveryKindOfAnswerCarriesTheBrowserHeaders) {
  TestHttpsServer server(testing::test_limits(), page_routes());
  auto client = server.client();
  const HttpResponse bare = client->get("/bare");
  EXPECT_EQ(bare.body(), "bare");
  expect_browser_headers(bare, "a handler's bare answer");
  const HttpResponse missing = client->get("/web/missing.js");
  EXPECT_EQ(missing.result(), http::status::not_found);
  expect_browser_headers(missing, "404");
  const HttpResponse traversal = client->get("/web/../broker.db");
  EXPECT_EQ(traversal.result(), http::status::bad_request);
  expect_browser_headers(traversal, "traversal");
  const HttpResponse health = client->get("/healthz");
  expect_browser_headers(health, "healthz");

  // The server's own refusal of a malformed request, before any route.
  auto raw = server.client();
  ASSERT_FALSE(raw->write("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + std::string(9000, 'a') +
                          "\r\n\r\n"));
  HttpResponse refused;
  ASSERT_FALSE(raw->read(refused));
  EXPECT_EQ(refused.result(), http::status::request_header_fields_too_large);
  expect_browser_headers(refused, "431");
}

}  // namespace
}  // namespace jit::broker
