#include "broker/client/http_client.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

TEST(ParseUrl, SplitsSchemeHostPortAndTarget) {
  auto url = parse_url("https://localhost:8443/v1/requests?state=pending");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "localhost");
  EXPECT_EQ(url->port, "8443");
  EXPECT_EQ(url->target, "/v1/requests?state=pending");

  url = parse_url("http://127.0.0.1");
  ASSERT_TRUE(url);
  EXPECT_FALSE(url->tls);
  EXPECT_EQ(url->port, "80");
  EXPECT_EQ(url->target, "/");

  url = parse_url("https://[::1]:9000/hook");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, "9000");
}

TEST(ParseUrl, RefusesWhatItCannotSendSafely) {
  for (const char* bad :
       {"ftp://x/", "https://", "https://user:pw@host/", "https://h:0/", "https://h:65536/",
        "https://h:8a/", "https://[::1/", "https://h/a b", "https://h/#frag", "localhost:8443"}) {
    EXPECT_EQ(parse_url(bad).error(), BrokerErrc::invalid_input) << bad;
  }
}

TEST(Fetch, ConnectionRefusedIsATransportError) {
  auto url = parse_url("http://127.0.0.1:1/");
  ASSERT_TRUE(url);
  ClientRequest request;
  request.url = *url;
  request.timeout = std::chrono::milliseconds(2000);
  auto response = fetch({}, request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), boost::asio::error::connection_refused);
}

}  // namespace
}  // namespace jit::broker
