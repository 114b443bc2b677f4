// Hostile input at the TLS and HTTP layers, sent to a real `jit-broker serve`: broken handshakes,
// plain HTTP, oversized bodies and headers, slow clients, odd methods, path traversal and garbage
// tokens. Every case is answered 4xx with a JSON error or closed, the broker stays healthy, and
// nothing is written. (The JSON bodies of the API are attacked in bad_input_json_it.cpp; the
// limits themselves are unit-tested against a test server in http_limits_it.cpp.)
#include "support/bad_input_fixture.hpp"

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/asio/read.hpp>

#include <random>

namespace jit::broker::bad_input {
namespace {

namespace asio = boost::asio;
using http_test::TlsTestClient;

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
  std::string bad_version = hello;
  bad_version[9] = '\x7f';  // ClientHello.legacy_version 7f03
  std::string bad_lengths = hello;
  bad_lengths[6] = bad_lengths[7] = bad_lengths[8] = '\xff';  // handshake length past the record
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"random bytes", noise},
      {"record header claiming 64 KiB", std::string("\x16\x03\x01\xff\xff", 5) + noise},
      {"SSLv2 hello",
       std::string("\x80\x2e\x01\x00\x02\x00\x15\x00\x00\x00\x10", 11) + std::string(0x2e, 'A')},
      {"alert record first", std::string("\x15\x03\x03\x00\x02\x02\x28", 7)},
      {"application data first", std::string("\x17\x03\x03\x00\x05hello", 10)},
      {"hello with version 7f03", bad_version},
      {"hello with a handshake length past its record", bad_lengths},
      {"64 KiB of zeros", std::string(64 * 1024, '\0')},
  };
  for (const auto& [label, bytes] : cases) {
    check(label, [&] {
      const auto received = closed_after(broker(), bytes, false, 3s);
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
    check(label, [&] {
      const auto received = closed_after(broker(), bytes, false, 3s);
      ASSERT_TRUE(received.has_value()) << "still open";
      EXPECT_EQ(received->find("HTTP/"), std::string::npos) << *received;
    });
  }
}

TEST_F(BadInputTest, TenMegabyteBodiesAre413) {
  constexpr std::size_t kTenMegabytes = 10 * 1024 * 1024;
  for (const std::string& target : {std::string("/v1/requests"), std::string("/v1/login")}) {
    const std::string auth = target == "/v1/login"
                                 ? std::string()
                                 : "Authorization: Bearer " + broker().token("alice") + "\r\n";
    check("declared 10 MiB to " + target, [&] {
      // Refused from the header alone: the answer comes before the body is sent.
      auto client = broker().client();
      ASSERT_FALSE(client->write(
          "POST " + target + " HTTP/1.1\r\nHost: localhost\r\n" + auth +
          "Content-Type: application/json\r\nContent-Length: " + std::to_string(kTenMegabytes) +
          "\r\n\r\n{\"role\":\"" + std::string(16 * 1024, 'x')));
      HttpResponse response;
      ASSERT_FALSE(client->read(response));
      expect_refusal(response, http::status::payload_too_large, "body_too_large");
      EXPECT_FALSE(response.keep_alive());
      EXPECT_TRUE(client->wait_closed(3s));
    });
    check("chunked 10 MiB to " + target, [&] {
      auto client = broker().client();
      bool sent = !client->write("POST " + target + " HTTP/1.1\r\nHost: localhost\r\n" + auth +
                                 "Content-Type: application/json\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n");
      const std::string chunk = "10000\r\n" + std::string(0x10000, 'y') + "\r\n";  // 64 KiB
      for (std::size_t total = 0; sent && total < kTenMegabytes; total += 0x10000) {
        sent = !client->write(chunk);  // fails once the broker has answered and closed
      }
      if (sent) sent = !client->write("0\r\n\r\n");
      HttpResponse response;
      if (!client->read(response)) {
        expect_refusal(response, http::status::payload_too_large, "body_too_large");
      }
      EXPECT_TRUE(client->wait_closed(3s));
    });
  }
}

TEST_F(BadInputTest, HundredKilobyteHeadersAre431OrClosed) {
  std::string many = "GET /v1/requests HTTP/1.1\r\nHost: localhost\r\n";
  for (int i = 0; i < 1000; ++i)
    many += "X-Filler-" + std::to_string(i) + ": " + std::string(90, 'b') + "\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"one 100 KiB header", "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " +
                                 std::string(100 * 1024, 'a') + "\r\n\r\n"},
      {"a thousand 100-byte headers", many + "\r\n"},
      {"100 KiB request target",
       "GET /v1/requests/" + std::string(100 * 1024, 'r') + " HTTP/1.1\r\nHost: localhost\r\n\r\n"},
      {"100 KiB bearer token",
       "GET /v1/requests HTTP/1.1\r\nHost: localhost\r\nAuthorization: "
       "Bearer " +
           std::string(100 * 1024, 't') + "\r\n\r\n"},
      {"100 KiB cookie", "GET /v1/session HTTP/1.1\r\nHost: localhost\r\nCookie: __Host-jit=" +
                             std::string(100 * 1024, 'c') + "\r\n\r\n"},
  };
  for (const auto& [label, bytes] : cases) {
    check(label, [&] {
      auto client = broker().client();
      const auto write_error = client->write(bytes);  // may fail once the broker has closed
      HttpResponse response;
      if (!write_error && !client->read(response)) {
        expect_refusal(response, http::status::request_header_fields_too_large, "header_too_large");
      }
      EXPECT_TRUE(client->wait_closed(3s));
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

TEST_F(BadInputTest, UnknownMethodsAreRefused) {
  struct Case {
    std::string request_line;
    http::status status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"BREW /healthz HTTP/1.1", http::status::method_not_allowed, "method_not_allowed"},
      {"FOO /v1/requests HTTP/1.1", http::status::method_not_allowed, "method_not_allowed"},
      {"get /healthz HTTP/1.1", http::status::method_not_allowed, "method_not_allowed"},
      {"DELETE /v1/requests/req-1 HTTP/1.1", http::status::method_not_allowed,
       "method_not_allowed"},
      {"PUT /v1/grants HTTP/1.1", http::status::method_not_allowed, "method_not_allowed"},
      {"PATCH /v1/login HTTP/1.1", http::status::method_not_allowed, "method_not_allowed"},
      {"TRACE /healthz HTTP/1.1", http::status::method_not_allowed, "method_not_allowed"},
      {"HEAD /v1/ca/ssh HTTP/1.1", http::status::method_not_allowed, "method_not_allowed"},
      {"OPTIONS * HTTP/1.1", http::status::bad_request, "invalid_path"},
      {"CONNECT localhost:443 HTTP/1.1", http::status::bad_request, "invalid_path"},
      {"M-SEARCH /nowhere HTTP/1.1", http::status::not_found, "not_found"},
      {"G(T /healthz HTTP/1.1", http::status::bad_request, "malformed_request"},
      {"GET\t/healthz HTTP/1.1", http::status::bad_request, "malformed_request"},
      {std::string(3000, 'M') + " /healthz HTTP/1.1", http::status::method_not_allowed,
       "method_not_allowed"},
  };
  for (const auto& c : cases) {
    check(c.request_line.substr(0, 40), [&] {
      const auto response =
          send_raw(c.request_line + "\r\nHost: localhost\r\nAuthorization: Bearer " +
                   broker().token("alice") + "\r\nContent-Length: 0\r\n\r\n");
      expect_refusal(response, c.status, c.code);
      if (c.status == http::status::method_not_allowed) {
        EXPECT_FALSE((*response)[http::field::allow].empty());
      }
    });
  }
}

TEST_F(BadInputTest, PathTraversalIsRefused) {
  struct Case {
    std::string target;
    http::status status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"/v1/requests/../../etc/passwd", http::status::bad_request, "invalid_path"},
      {"/v1/requests/%2e%2e%2f%2e%2e%2fetc%2fpasswd", http::status::bad_request, "invalid_path"},
      {"/v1/requests/%2e%2e", http::status::bad_request, "invalid_path"},
      {"/v1/requests/..%2f..%2fbroker.yaml", http::status::bad_request, "invalid_path"},
      {"/v1/requests/..%5c..%5cbroker.yaml", http::status::bad_request, "invalid_path"},
      {"/v1/requests/%c0%ae%c0%ae%c0%af", http::status::bad_request, "invalid_path"},
      {"/v1/grants/req-1%00.json", http::status::bad_request, "invalid_path"},
      {"/web/../broker.yaml", http::status::bad_request, "invalid_path"},
      {"/v1/ca/ssh/../../../data/ca/ssh_ca.key", http::status::bad_request, "invalid_path"},
      {"/./broker.yaml", http::status::bad_request, "invalid_path"},
      {"//etc/passwd", http::status::bad_request, "invalid_path"},
      {"/v1/ca/ssh%2f..%2f..%2fbroker.yaml", http::status::not_found, "not_found"},
      {"/broker.yaml", http::status::not_found, "not_found"},
      {"/data/broker.db", http::status::not_found, "not_found"},
      {"/data/ca/ssh_ca.key", http::status::not_found, "not_found"},
      {"/etc/passwd", http::status::not_found, "not_found"},
      {"https://localhost/v1/ca/ssh", http::status::bad_request, "invalid_path"},
      {"/healthz?x=%00", http::status::bad_request, "invalid_path"},
      {"/v1/requests?state=..%2f..%2fetc", http::status::bad_request, "invalid_input"},
  };
  for (const auto& c : cases) {
    check(c.target, [&] {
      const auto response = send(make(http::verb::get, c.target, "alice"));
      expect_refusal(response, c.status, c.code);
      EXPECT_EQ(response->body().find("PRIVATE KEY"), std::string::npos);
      EXPECT_EQ(response->body().find("root:"), std::string::npos);
    });
  }
}

TEST_F(BadInputTest, GarbageBearerTokensAre401) {
  const std::string valid = broker().token("alice");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"garbage", "Bearer garbage"},
      {"empty token", "Bearer "},
      {"6000-byte token", "Bearer " + std::string(6000, 'A')},
      {"valid token plus a byte", "Bearer " + valid + "x"},
      {"valid token cut short", "Bearer " + valid.substr(0, valid.size() - 1)},
      {"valid token in upper case", "Bearer " + boost::algorithm::to_upper_copy(valid)},
      {"two spaces", "Bearer  " + valid},
      {"non-ASCII bytes", "Bearer \xff\xfe\x80token"},
      {"another scheme", "Basic YWxpY2U6cHctYWxpY2U="},
      {"SQL", "Bearer ' OR '1'='1"},
  };
  for (const auto& [label, authorization] : cases) {
    check(label, [&] {
      HttpRequest request(http::verb::get, "/v1/requests", 11);
      request.set(http::field::authorization, authorization);
      expect_refusal(send(std::move(request)), http::status::unauthorized, "unauthenticated");
    });
  }
  check("garbage session cookie", [&] {
    HttpRequest request(http::verb::get, "/v1/session", 11);
    request.set(http::field::cookie, "__Host-jit_session=" + std::string(500, 'z'));
    expect_refusal(send(std::move(request)), http::status::unauthorized, "unauthenticated");
  });
  check("NUL in the token", [&] {
    expect_refusal(
        send_raw("GET /v1/requests HTTP/1.1\r\nHost: localhost\r\nAuthorization: "
                 "Bearer " +
                 valid.substr(0, 10) + std::string(1, '\0') + valid.substr(10) + "\r\n\r\n"),
        http::status::bad_request, "malformed_request");
  });
}

// Ways to frame a body that http_limits_it.cpp does not try: both framings, numbers that
// overflow, codings the broker does not speak (whose body must not become a second request).
TEST_F(BadInputTest, AmbiguousBodyFramingIsRefused) {
  const std::string head =
      "POST /v1/requests HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
      broker().token("alice") + "\r\nContent-Type: application/json\r\n";
  const std::string smuggled =
      "POST /v1/requests/req-x/cancel HTTP/1.1\r\nHost: localhost\r\n"
      "Authorization: Bearer " +
      broker().token("alice") + "\r\n\r\n";
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"Content-Length and chunked",
       head + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
       "malformed_request"},
      {"Content-Length 2^64", head + "Content-Length: 18446744073709551616\r\n\r\n{}",
       "malformed_request"},
      {"negative Content-Length", head + "Content-Length: -2\r\n\r\n{}", "malformed_request"},
      {"chunk size overflow",
       head + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
       "malformed_request"},
      {"gzip coding", head + "Transfer-Encoding: gzip\r\n\r\n" + smuggled,
       "unsupported_transfer_encoding"},
      {"chunked twice in one field",
       head + "Transfer-Encoding: chunked, chunked\r\n\r\n" + smuggled,
       "unsupported_transfer_encoding"},
      {"gzip then chunked",
       head + "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n" + smuggled,
       "unsupported_transfer_encoding"},
  };
  for (const auto& [label, bytes, code] : cases) {
    check(label, [&] {
      auto client = broker().client();
      ASSERT_FALSE(client->write(bytes));
      HttpResponse response;
      ASSERT_FALSE(client->read(response));
      expect_refusal(response, http::status::bad_request, code);
      std::string more;
      EXPECT_TRUE(client->wait_closed(3s, &more));
      EXPECT_TRUE(more.empty()) << more;  // nothing after the body was read as a request
    });
  }
}

}  // namespace
}  // namespace jit::broker::bad_input
