// The broker's own outgoing client (used by `jit` and webhooks) against the broker's server.
#include "broker/client/http_client.hpp"
#include "tests/support/http_test_server.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

TEST(HttpClientAgainstServer, VerifiesTheServerByCaFileAndHostName) {
  TestHttpsServer server;
  const auto port = std::to_string(server.endpoint().port());
  ClientRequest request;
  request.method = http::verb::post;
  request.url = *parse_url("https://localhost:" + port + "/echo");
  request.body = R"({"a":1})";
  auto response = fetch({server.ca_file()}, request);
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200u);
  EXPECT_NE(response->body.find(R"("a":1)"), std::string::npos);

  request.url = *parse_url("https://127.0.0.1:" + port + "/healthz");
  request.method = http::verb::get;
  request.body.clear();
  response = fetch({server.ca_file()}, request);
  ASSERT_TRUE(response) << response.error().message();  // the IP SAN matches too
  EXPECT_EQ(response->status, 200u);
}

TEST(HttpClientAgainstServer, RefusesAServerItDoesNotTrust) {
  TestHttpsServer server;
  ClientRequest request;
  request.url =
      *parse_url("https://localhost:" + std::to_string(server.endpoint().port()) + "/healthz");
  auto response = fetch({}, request);  // the system roots do not include the dev certificate
  ASSERT_FALSE(response);
}

}  // namespace
}  // namespace jit::broker
