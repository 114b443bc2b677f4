// The bad-input suite against a real `jit-broker serve`, TLS layer: truncated handshakes, garbage
// instead of a ClientHello, plain HTTP on the TLS port, and slow clients. Each connection is closed
// (never answered in clear text), the broker stays healthy, and nothing is written. The suite's
// other cases are in bad_input_http_it.cpp (HTTP framing, sizes, methods, paths, tokens),
// bad_input_json_it.cpp and bad_input_values_it.cpp (API bodies); the server's limits themselves
// are tested against a test server in http_limits_it.cpp.
#include "support/bad_input_fixture.hpp"

#include <boost/asio/read.hpp>

#include <random>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace asio = boost::asio;
using testing::TlsTestClient;

// The ClientHello OpenSSL sends, as the broker would see it: the test client's handshake against a
// bare TCP listener that never answers.
std::string capture_client_hello(const std::filesystem::path& ca_file) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  TlsTestClient client(acceptor.local_endpoint(), ca_file, 300ms);
  if (client.connect_tcp()) return {};
  asio::ip::tcp::socket peer(io);
  acceptor.accept(peer);
  (void)client.handshake();  // times out: nobody answers
  std::string hello(peer.available(), '\0');
  asio::read(peer, asio::buffer(hello));
  return hello;
}

// Sends `bytes` over bare TCP, optionally ends the sending half, and waits for the broker to close
// the connection; what it sent back, or nullopt when it kept the connection open past `limit`.
std::optional<std::string> closed_after(RunningBroker& broker, std::string_view bytes,
                                        bool half_close, std::chrono::milliseconds limit) {
  auto client = broker.client(false);
  if (client->connect_tcp()) return std::nullopt;
  (void)client->write_plain(bytes);  // may fail once the broker has closed
  if (half_close) (void)client->shutdown_send();
  std::string received;
  if (!client->wait_closed(limit, &received, /*over_tls=*/false)) return std::nullopt;
  return received;
}

TEST_F(BadInputTest, TruncatedTlsHandshakeIsClosed) {
  const std::string hello = capture_client_hello(broker().ca_file());
  ASSERT_GT(hello.size(), 100u);
  ASSERT_EQ(hello[0], '\x16');  // a handshake record...
  ASSERT_EQ(hello.size(), 5u + (static_cast<unsigned char>(hello[3]) << 8 |
                                static_cast<unsigned char>(hello[4])));  // ...sent whole

  // The client gives up mid-hello: the broker sees the end of the stream and closes at once,
  // well before its handshake timeout.
  for (const std::size_t cut :
       {std::size_t{1}, std::size_t{5}, std::size_t{6}, hello.size() / 2, hello.size() - 1}) {
    check("ClientHello cut after " + std::to_string(cut) + " bytes, then FIN", [&] {
      const auto start = std::chrono::steady_clock::now();
      const auto received = closed_after(broker(), hello.substr(0, cut), true, 1500ms);
      ASSERT_TRUE(received.has_value());
      EXPECT_LT(std::chrono::steady_clock::now() - start, kReadTimeout);
      EXPECT_EQ(received->find("HTTP/"), std::string::npos);
    });
  }
  // The client stalls mid-hello: the handshake deadline closes the connection.
  check("ClientHello cut in half, then silence", [&] {
    const auto start = std::chrono::steady_clock::now();
    const auto received = closed_after(broker(), hello.substr(0, hello.size() / 2), false, 4s);
    ASSERT_TRUE(received.has_value());
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, kReadTimeout - 200ms);
    EXPECT_LT(elapsed, kReadTimeout + 1500ms);
    EXPECT_TRUE(received->empty());
  });
}

TEST_F(BadInputTest, GarbageInsteadOfClientHelloIsClosed) {
  const std::string hello = capture_client_hello(broker().ca_file());
  ASSERT_GT(hello.size(), 100u);
  std::mt19937 random(20240611);
  std::string noise(4096, '\0');
  for (auto& c : noise) c = static_cast<char>(random());
  noise[0] = '\x42';  // not a TLS content type, whatever the seed gives
  // ClientHello: record header (5), handshake header (4), version (2), random (32), then the
  // session id's length at 43 and the cipher suites' length after the session id.
  std::string bad_session = hello;
  bad_session[43] = '\xff';  // a 255-byte session id (at most 32)
  std::string bad_suites = hello;
  const std::size_t suites_at = 44 + static_cast<unsigned char>(hello[43]);
  bad_suites[suites_at] = bad_suites[suites_at + 1] = '\xff';  // suites past the message's end
  std::string bad_lengths = hello;
  bad_lengths[6] = bad_lengths[7] = bad_lengths[8] = '\xff';  // a 16 MiB handshake message
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"random bytes", noise},
      {"record header claiming 64 KiB", std::string("\x16\x03\x01\xff\xff", 5) + noise},
      {"SSLv2 hello",
       std::string("\x80\x2e\x01\x00\x02\x00\x15\x00\x00\x00\x10", 11) + std::string(0x2e, 'A')},
      {"alert record first", std::string("\x15\x03\x03\x00\x02\x02\x28", 7)},
      {"application data first", std::string("\x17\x03\x03\x00\x05hello", 10)},
      {"hello with a 255-byte session id", bad_session},
      {"hello with cipher suites past its end", bad_suites},
      {"hello announcing 16 MiB", bad_lengths},
      {"64 KiB of zeros", std::string(64 * 1024, '\0')},
  };
  for (const auto& [label, bytes] : cases) {
    check(label, [&, &bytes = bytes] {
      // Refused at once (an alert at most), not left to the handshake deadline.
      const auto received = closed_after(broker(), bytes, false, kReadTimeout / 2);
      ASSERT_TRUE(received.has_value()) << "still open";
      EXPECT_EQ(received->find("HTTP/"), std::string::npos) << *received;
    });
  }
}

TEST_F(BadInputTest, PlainHttpOnTheTlsPortIsClosed) {
  const std::string login_body =
      R"({"user":"alice","password":"pw-alice","mfa":{"totp":"000000"}})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"GET /healthz", "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"},
      {"POST /v1/login",
       "POST /v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
       "application/json\r\nContent-Length: " +
           std::to_string(login_body.size()) + "\r\n\r\n" + login_body},
      {"PRI * HTTP/2.0 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
  };
  for (const auto& [label, bytes] : cases) {
    check(label, [&, &bytes = bytes] {
      const auto received = closed_after(broker(), bytes, false, kReadTimeout / 2);
      ASSERT_TRUE(received.has_value()) << "still open";
      EXPECT_EQ(received->find("HTTP/"), std::string::npos) << *received;
    });
  }
}

// Slowloris: many connections, each trickling a request a byte at a time (headers, or a body
// after complete headers). Each is cut off by its own read deadline, however steadily it sends,
// and the broker keeps answering others meanwhile.
TEST_F(BadInputTest, SlowClientsAreCutOffByTheReadTimeout) {
  check("32 slow connections", [&] {
    constexpr int kClients = 32;
    const std::string slow_header =
        "POST /v1/requests HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + std::string(200, 's');
    const std::string slow_body =
        "POST /v1/requests HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
        "application/json\r\nContent-Length: 1000\r\n\r\n{\"role\":\"" +
        std::string(200, 'b');
    struct Slow {
      std::unique_ptr<TlsTestClient> client;
      const std::string* text;
      std::size_t sent;
      std::chrono::steady_clock::time_point started, closed_at;
      bool closed = false;
    };
    std::vector<Slow> slow;
    for (int i = 0; i < kClients; ++i) {
      auto client = broker().client();
      const std::string* text = i % 2 == 0 ? &slow_header : &slow_body;
      // The headers of the slow-body half go out whole; the rest is trickled.
      const std::size_t first = i % 2 == 0 ? 5 : text->find("\r\n\r\n") + 4;
      ASSERT_FALSE(client->write(text->substr(0, first)));
      slow.push_back({std::move(client), text, first, std::chrono::steady_clock::now(), {}});
    }
    const auto deadline = std::chrono::steady_clock::now() + kReadTimeout + 3s;
    std::size_t open = slow.size();
    while (open > 0 && std::chrono::steady_clock::now() < deadline) {
      for (auto& s : slow) {
        if (s.closed) continue;
        // The next byte; the request never completes. (Readability would not tell a close: the
        // broker's TLS 1.3 session tickets are waiting to be read.) Writing to a connection the
        // broker closed fails by the second try, when its reset has come back.
        const char next = s.sent < s.text->size() ? (*s.text)[s.sent] : 'z';
        ++s.sent;
        if (s.client->write(std::string_view(&next, 1))) {
          s.closed = true;
          s.closed_at = std::chrono::steady_clock::now();
          --open;
        }
      }
      const auto asked = std::chrono::steady_clock::now();
      EXPECT_TRUE(broker().healthy());
      EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s) << "/healthz was slow";
      std::this_thread::sleep_for(100ms);
    }
    for (auto& s : slow) {
      ASSERT_TRUE(s.closed) << "a slow client was never cut off";
      const auto held = s.closed_at - s.started;
      EXPECT_GE(held, kReadTimeout - 300ms);
      EXPECT_LT(held, kReadTimeout + 1500ms);
      std::string received;
      EXPECT_TRUE(s.client->wait_closed(1s, &received));
      EXPECT_TRUE(received.empty()) << received;  // cut off, not answered
    }
  });
}

}  // namespace
}  // namespace jit::broker
