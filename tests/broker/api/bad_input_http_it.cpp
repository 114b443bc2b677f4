// The bad-input suite against a real `jit-broker serve`, HTTP layer: 10 MiB bodies, 100 KiB
// headers, unknown methods, path traversal, garbage bearer tokens and ambiguous body framing. Every
// case is answered 4xx with a JSON error (or closed, for the oversized ones), the broker stays
// healthy, and nothing is written.
#include "support/bad_input_fixture.hpp"

#include <boost/algorithm/string/case_conv.hpp>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

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
    check(label, [&, &bytes = bytes] {
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
    check(label, [&, &authorization = authorization] {
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
    check(label, [&, &bytes = bytes, &code = code] {
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
}  // namespace jit::broker
