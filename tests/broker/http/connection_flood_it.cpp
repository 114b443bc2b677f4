// Connection floods against a real `jit-broker serve` (issue 14, B8): TCP connections that never
// send a byte must not hold the connection slots that a well-behaved client needs. The broker runs
// with small caps (32 connections, 8 per source) so that a few hundred connections show it.
#include "tests/support/running_broker.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace jit::broker {
namespace {

namespace asio = boost::asio;
using jit::testing::RunningBroker;
using namespace std::chrono_literals;

constexpr std::string_view kConnectionFloodPolicy = R"yaml(
groups: { developers: [alice], sre-leads: [carol] }
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    max_duration: 1h
    ssh: { principals: [dbread] }
)yaml";

constexpr std::size_t kMaxConnections = 32;
constexpr std::size_t kMaxPerSource = 8;

std::string flood_config() {
  return "http:\n  max_connections: " + std::to_string(kMaxConnections) +
         "\n  max_connections_per_source: " + std::to_string(kMaxPerSource) + "\n";
}

asio::ip::address loopback(int last_octet) {
  return asio::ip::make_address("127.0.0." + std::to_string(last_octet));
}

// Plain TCP connections that connect and then say nothing, as the flood in the review did.
class IdleFlood {
 public:
  IdleFlood(const RunningBroker& broker, asio::ip::address source)
      : endpoint_(broker.endpoint()), source_(std::move(source)) {}

  // Opens `count` more; returns how many connected.
  std::size_t open(std::size_t count) {
    std::size_t connected = 0;
    for (std::size_t i = 0; i < count; ++i) {
      auto socket = std::make_unique<asio::ip::tcp::socket>(io_);
      boost::system::error_code ec;
      socket->open(asio::ip::tcp::v4(), ec);
      if (!ec) socket->bind({source_, 0}, ec);
      if (!ec) socket->connect(endpoint_, ec);
      if (ec) continue;
      sockets_.push_back(std::move(socket));
      ++connected;
    }
    return connected;
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::endpoint endpoint_;
  asio::ip::address source_;
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> sockets_;
};

// A well-behaved client from `source`: a new connection, TLS, GET /healthz, each step within 2 s.
bool health_answers(const RunningBroker& broker, const asio::ip::address& source) {
  try {
    testing::TlsTestClient client(broker.endpoint(), broker.ca_file(), 2s);
    if (client.bind_source(source) || client.connect()) return false;
    return client.get("/healthz").result() == http::status::ok;
  } catch (const std::exception&) {
    return false;
  }
}

// A TLS connection from `source` that completed its handshake and one request, kept alive.
std::unique_ptr<testing::TlsTestClient> served_client(const RunningBroker& broker,
                                                      const asio::ip::address& source) {
  auto client = std::make_unique<testing::TlsTestClient>(broker.endpoint(), broker.ca_file(), 2s);
  if (client->bind_source(source) || client->connect()) return nullptr;
  try {
    if (client->get("/healthz").result() != http::status::ok) return nullptr;
  } catch (const std::exception&) {
    return nullptr;
  }
  return client;
}

TEST(ConnectionFlood, IdleConnectionsFromOneSourceLeaveHealthChecksServed) {
  RunningBroker broker(std::string(kConnectionFloodPolicy), flood_config(), {});
  IdleFlood flood(broker, loopback(1));
  ASSERT_GT(flood.open(200), kMaxConnections);
  // The flood goes on between the checks; every check is answered within its 2 s steps.
  int answered = 0;
  for (int round = 0; round < 8; ++round) {
    flood.open(25);
    if (health_answers(broker, loopback(1))) ++answered;
  }
  EXPECT_EQ(answered, 8);
  EXPECT_TRUE(broker.alive());
}

TEST(ConnectionFlood, IdleConnectionsFromManySourcesLeaveHealthChecksServed) {
  RunningBroker broker(std::string(kConnectionFloodPolicy), flood_config(), {});
  // Five sources, each within its own cap, together hold more than the global cap.
  std::vector<std::unique_ptr<IdleFlood>> floods;
  for (int source = 2; source <= 6; ++source) {
    floods.push_back(std::make_unique<IdleFlood>(broker, loopback(source)));
    ASSERT_EQ(floods.back()->open(kMaxPerSource), kMaxPerSource);
  }
  int answered = 0;
  for (int round = 0; round < 5; ++round) {
    for (auto& flood : floods) flood->open(4);
    if (health_answers(broker, loopback(1))) ++answered;
  }
  EXPECT_EQ(answered, 5);
}

TEST(ConnectionFlood, PerSourceCapRefusesOnlyThatSource) {
  RunningBroker broker(std::string(kConnectionFloodPolicy), flood_config(), {});
  std::vector<std::unique_ptr<testing::TlsTestClient>> held;
  for (std::size_t i = 0; i < kMaxPerSource; ++i) {
    held.push_back(served_client(broker, loopback(2)));
    ASSERT_NE(held.back(), nullptr) << "connection " << i;
  }
  // Every slot of 127.0.0.2 is held by an established connection: nothing to evict, refused.
  EXPECT_FALSE(health_answers(broker, loopback(2)));
  EXPECT_NE(broker.metrics().find(R"(jit_http_connections_total{event="refused"} 1)"),
            std::string::npos);
  // Another source is served all the same.
  EXPECT_TRUE(health_answers(broker, loopback(3)));
  // The held connections still work, and a freed slot is usable again.
  EXPECT_EQ(held.back()->get("/healthz").result(), http::status::ok);
  held.front()->close();
  held.erase(held.begin());
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    std::this_thread::sleep_for(20ms);
    served = health_answers(broker, loopback(2));
  }
  EXPECT_TRUE(served);
}

TEST(ConnectionFlood, SilentConnectionIsClosedAfterTheFirstByteDeadline) {
  // read_timeout stays 10 s; a connection that sends nothing is cut after first_byte_timeout.
  RunningBroker broker(std::string(kConnectionFloodPolicy),
                       flood_config() + "  first_byte_timeout: 2s\n", {});
  auto client = broker.client(false);
  ASSERT_FALSE(client->connect_tcp());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client->wait_closed(5s, nullptr, /*over_tls=*/false));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 1800ms);
  EXPECT_LT(elapsed, 4s);
  // A client that starts its handshake in time has the whole read_timeout for it.
  EXPECT_TRUE(broker.healthy());
}

}  // namespace
}  // namespace jit::broker
