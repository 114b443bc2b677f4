// The bad-input suite against a real `jit-broker serve`, API bodies (2): negative, zero, huge and
// overflowing durations, duplicate keys, deep nesting, wrong JSON types, and long names quoted
// back. Every case is answered 4xx with a JSON error, the broker stays healthy, and nothing is
// written but the audit record of each refused break-glass attempt.
#include "support/bad_input_bodies.hpp"
#include "support/bad_input_fixture.hpp"

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;

TEST_F(BadInputTest, BadDurationsAreRefused) {
  const std::vector<std::pair<std::string, std::string>> durations = {
      {"-1h", "invalid_duration"},
      {"-0s", "invalid_duration"},
      {"0s", "invalid_duration"},
      {"0h0m", "invalid_duration"},
      {"99999999999999h", "invalid_duration"},
      {"9223372036854775807s", "invalid_duration"},
      {"9223372036854775808s", "invalid_duration"},
      {"18446744073709551616s", "invalid_duration"},
      {"36501d", "invalid_duration"},
      {"1.5h", "invalid_duration"},
      {"1e3s", "invalid_duration"},
      {"1H", "invalid_duration"},
      {" 1h", "invalid_duration"},
      {"1h ", "invalid_duration"},
      {"h", "invalid_duration"},
      {"", "invalid_duration"},
      {"30", "invalid_duration"},
      {"30m1h", "invalid_duration"},
      {"1h1h", "invalid_duration"},
      {"+1h", "invalid_duration"},
      {"0x10m", "invalid_duration"},
      {"\xef\xbc\x91h", "invalid_duration"},  // a full-width digit one
      {"2h", "duration_above_max"},
      {"61m", "duration_above_max"},
      {"3601s", "duration_above_max"},
      {"1h0m1s", "duration_above_max"},
      {"1d", "duration_above_max"},
      {"36500d", "duration_above_max"},
  };
  for (const auto& [duration, code] : durations) {
    check("request for '" + duration + "'", [&, &duration = duration, &code = code] {
      expect_refusal(post("/v1/requests", "alice",
                          text_of(with(kAsk, "duration", json::serialize(json::string(duration))))),
                     http::status::bad_request, code);
    });
  }
  // Break-glass caps at 30m; every refusal of a well-formed attempt is audited.
  for (const std::string duration : {"-1h", "0s", "99999999999999h", "31m", "1h"}) {
    const std::string code =
        duration == "31m" || duration == "1h" ? "duration_above_max" : "invalid_duration";
    check("break-glass for '" + duration + "'",
          [&] {
            expect_refusal(post("/v1/breakglass", "alice",
                                text_of(with(kGlass, "duration", raw_string(duration)))),
                           http::status::bad_request, code);
          },
          {{breakglass_refused("prod-db-read", code)}});
  }
  for (const std::string& raw :
       std::vector<std::string>{"3600", "-1", "1e999", "true", "[\"1h\"]", "{\"h\":1}",
                                raw_string(std::string(33, '1') + "s")}) {
    check("duration " + raw, [&] {
      expect_refusal(post("/v1/requests", "alice", text_of(with(kAsk, "duration", raw))),
                     http::status::bad_request, "invalid_input");
    });
  }
}

TEST_F(BadInputTest, DuplicateJsonKeysAreRefused) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"/v1/requests", "alice",
       R"({"role":"prod-db-read","role":"other","reason":"r","ticket":"t"})"},
      {"/v1/requests", "alice",
       R"({"role":"prod-db-read","reason":"r","ticket":"t","duration":"30m","duration":"8h"})"},
      {"/v1/requests", "alice", R"({"role":"prod-db-read","\u0072ole":"other"})"},
      {"/v1/requests", "alice", R"({"role":"prod-db-read","mfa":{"totp":"1","totp":"2"}})"},
      {"/v1/requests", "alice", R"({"mfa":{"webauthn":{"a":[{"b":1,"b":2}]}}})"},
      {"/v1/login", "", R"({"user":"alice","user":"admin","password":"pw-alice"})"},
      {"/v1/breakglass", "alice", R"({"role":"prod-db-read","role":"prod-db-read"})"},
      {"/v1/grants/grant-x/revoke", "alice", R"({"reason":"a","reason":"b"})"},
  };
  for (const auto& [target, user, body] : cases) {
    check(target + " " + body, [&, &target = target, &user = user, &body = body] {
      expect_refusal(post(target, user, body), http::status::bad_request, "duplicate_key");
    });
  }
}

TEST_F(BadInputTest, DeeplyNestedJsonIsRefused) {
  const auto nested = [](std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  std::string objects;
  for (int i = 0; i < 10000; ++i) objects += "{\"a\":";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"depth 17", text_of(with(kAsk, "role", nested(16)))},
      {"60000 brackets", text_of(with(kAsk, "role", nested(30000)))},
      {"10000 open objects", objects},
      {"unclosed brackets", "{\"role\":" + std::string(60000, '[')},
  };
  for (const auto& [label, body] : cases) {
    check(label, [&, &body = body] {
      expect_refusal(post("/v1/requests", "alice", body), http::status::bad_request,
                     "invalid_json");
    });
  }
  check("depth 16 is JSON, but not a role", [&] {
    expect_refusal(post("/v1/requests", "alice", text_of(with(kAsk, "role", nested(15)))),
                   http::status::bad_request, "invalid_input");
  });
}

TEST_F(BadInputTest, WrongJsonTypesAreRefused) {
  for (const std::string body :
       {"[]", "\"role\"", "1", "null", "true", "", " ", "{}{}", "{} x", "\xef\xbb\xbf{}",
        "{\"role\":\"prod-db-read\",}", "{'role':'prod-db-read'}", "{role:1}"}) {
    check("body " + body, [&] {
      const auto answer = post("/v1/requests", "alice", body);
      ASSERT_TRUE(answer.has_value());
      const auto code = testing::error_code_of(*answer);
      EXPECT_TRUE(code == "invalid_json" || code == "expected_object") << answer->body();
      EXPECT_EQ(code == "expected_object", body == "[]" || body == "\"role\"" || body == "1" ||
                                               body == "null" || body == "true");
      EXPECT_EQ(answer->result(), http::status::bad_request);
    });
  }
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"/v1/requests", "alice", text_of(with(kAsk, "role", "42"))},
      {"/v1/requests", "alice", text_of(with(kAsk, "role", "true"))},
      {"/v1/requests", "alice", text_of(with(kAsk, "role", "null"))},
      {"/v1/requests", "alice", text_of(with(kAsk, "role", R"(["prod-db-read"])"))},
      {"/v1/requests", "alice", text_of(with(kAsk, "role", R"({"$ne":null})"))},
      {"/v1/requests", "alice", text_of(with(kAsk, "reason", "1"))},
      {"/v1/requests", "alice", text_of(with(kAsk, "ticket", "1.5"))},
      {"/v1/requests", "alice", text_of(with(kAsk, "reason", raw_string(std::string(17000, 'r'))))},
      {"/v1/requests", "alice", text_of(with(kAsk, "mfa", raw_string("123456")))},
      {"/v1/requests", "alice", text_of(with(kAsk, "mfa", R"({"totp":123456})"))},
      {"/v1/requests", "alice", text_of(with(kAsk, "mfa", R"({"totp":"12345\u0000"})"))},
      {"/v1/requests", "alice", text_of(with(kAsk, "mfa", "{}"))},
      {"/v1/requests", "alice", text_of(with(kAsk, "mfa", "[]"))},
      {"/v1/requests", "alice", text_of(with(kAsk, "mfa", R"({"totp":"1","webauthn":{}})"))},
      {"/v1/login", "", text_of(with(kLogin, "user", "1"))},
      {"/v1/login", "", text_of(with(kLogin, "password", "123456"))},
      {"/v1/login", "", text_of(with(kLogin, "user", raw_string(std::string(65, 'u'))))},
      {"/v1/breakglass", "alice", text_of(with(kGlass, "incident", "7"))},
      {"/v1/requests/req-x/approve", "alice", R"({"comment":1,"mfa":{"totp":"000000"}})"},
      {"/v1/grants/grant-x/revoke", "alice", R"({"reason":false})"},
      {"/v1/grants/grant-x/ssh-cert", "alice", R"({"public_key":1})"},
      {"/v1/grants/grant-x/x509-cert", "alice", R"({"csr":["a"]})"},
  };
  for (const auto& [target, user, body] : cases) {
    check(target + " " + body.substr(0, 80), [&, &target = target, &user = user, &body = body] {
      expect_refusal(post(target, user, body), http::status::bad_request, "invalid_input");
    });
  }
}

// An error that quotes a field name, and an audit record that quotes a role name, cut them short:
// the cut falls between characters, so the answer and the record stay valid UTF-8 JSON.
TEST_F(BadInputTest, QuotedNamesStayValidUtf8) {
  const std::string long_key = std::string(39, 'k') + "\xc3\xa9" + "tail";
  check("unknown field with a long non-ASCII name", [&] {
    const auto answer = post("/v1/requests", "alice", text_of(with(kAsk, long_key, "1")));
    expect_refusal(answer, http::status::bad_request, "invalid_input");
    boost::system::error_code ec;
    const auto body = json::parse(answer->body(), ec);
    ASSERT_FALSE(ec) << answer->body();
    EXPECT_EQ(body.at("error").as_string(), "unknown field '" + std::string(39, 'k') + "'");
  });
  const std::string long_role = std::string(63, 'r') + "\xc3\xa9";
  check("break-glass for a long non-ASCII role",
        [&] {
          expect_refusal(
              post("/v1/breakglass", "alice", text_of(with(kGlass, "role", raw_string(long_role)))),
              http::status::bad_request, "unknown_role");
        },
        {{breakglass_refused(std::string(63, 'r'), "unknown_role")}});
}

}  // namespace
}  // namespace jit::broker
