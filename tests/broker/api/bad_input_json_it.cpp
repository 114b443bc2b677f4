// The bad-input suite against a real `jit-broker serve`, API bodies (1): wrong content types,
// invalid UTF-8, NULs and control characters in names and text, SQL metacharacters. Every case is
// answered 4xx with a JSON error, the broker stays healthy, and nothing is written but what the
// design records on purpose: a refused login or break-glass attempt is audited, and text with SQL
// metacharacters is ordinary text, stored exactly.
#include "support/bad_input_bodies.hpp"
#include "support/bad_input_fixture.hpp"

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;

TEST_F(BadInputTest, WrongContentTypesAre415) {
  const std::vector<std::tuple<std::string, std::string, std::string>> targets = {
      {"/v1/requests", "alice", text_of(kAsk)},
      {"/v1/breakglass", "alice", text_of(kGlass)},
      {"/v1/login", "", text_of(kLogin)},
      {"/v1/requests/req-x/approve", "alice", R"({"mfa":{"totp":"000000"}})"},
      {"/v1/requests/req-x/cancel", "alice", "{}"},
      {"/v1/grants/grant-x/revoke", "alice", R"({"reason":"done"})"},
      {"/v1/grants/grant-x/ssh-cert", "alice", R"({"public_key":"ssh-ed25519 AAAA"})"},
  };
  for (const char* type :
       {"text/plain", "application/x-www-form-urlencoded", "", "multipart/form-data; boundary=x",
        "application/json; charset=latin1", "application/jsonp", "text/json",
        "application/json, text/plain", "application/json;;", "application/json\tx"}) {
    for (const auto& [target, user, body] : targets) {
      check(target + " as '" + std::string(type) + "'",
            [&, &target = target, &user = user, &body = body] {
              expect_refusal(post(target, user, body, type), http::status::unsupported_media_type,
                             "unsupported_media_type");
            });
    }
  }
  check("form-encoded login", [&] {
    expect_refusal(post("/v1/login", "", "user=alice&password=pw-alice&mfa=000000",
                        "application/x-www-form-urlencoded"),
                   http::status::unsupported_media_type, "unsupported_media_type");
  });
}

TEST_F(BadInputTest, InvalidUtf8IsRefused) {
  const std::vector<std::pair<std::string, std::string>> bytes = {
      {"0xff", "\xff"},
      {"lone continuation byte", "a\x80z"},
      {"overlong slash", "\xc0\xaf"},
      {"overlong three-byte slash", "\xe0\x80\xaf"},
      {"UTF-16 surrogate", "\xed\xa0\x80"},
      {"above U+10FFFF", "\xf4\x90\x80\x80"},
      {"truncated euro sign", "\xe2\x82"},
      {"escaped lone high surrogate", "\\ud800"},
      {"escaped lone low surrogate", "\\udc00x"},
      {"escaped high surrogate then a letter", "\\ud800\\u0041"},
  };
  for (const auto& [label, raw] : bytes) {
    check("reason: " + label, [&, &raw = raw] {
      expect_refusal(post("/v1/requests", "alice", text_of(with(kAsk, "reason", raw_string(raw)))),
                     http::status::bad_request, "invalid_utf8");
    });
    check("login user: " + label, [&, &raw = raw] {
      expect_refusal(post("/v1/login", "", text_of(with(kLogin, "user", raw_string(raw)))),
                     http::status::bad_request, "invalid_utf8");
    });
    check("key: " + label, [&, &raw = raw] {
      expect_refusal(post("/v1/requests", "alice", text_of(with(kAsk, raw, "1"))),
                     http::status::bad_request, "invalid_utf8");
    });
  }
}

TEST_F(BadInputTest, NulsAndControlCharactersAreRefused) {
  // A user name that cannot be a user is audited as an unknown name (a hash prefix, never the
  // name itself), and not counted against anyone.
  for (const std::string& name :
       {std::string("ali\0ce", 6), std::string("alice\0", 6), std::string("\0", 1)}) {
    std::string escaped = name;
    for (auto at = escaped.find('\0'); at != std::string::npos; at = escaped.find('\0', at)) {
      escaped.replace(at, 1, "\\u0000");
    }
    check("login user " + escaped,
          [&] {
            expect_refusal(
                post("/v1/login", "", text_of(with(kLogin, "user", raw_string(escaped)))),
                http::status::unauthorized, "unauthenticated");
          },
          {{malformed_login(name, broker().dir() / "data")}});
  }
  // The right password with a NUL and more after it is a wrong password, not a truncated right
  // one: the failure is counted and audited.
  check("login password pw-alice\\u0000junk",
        [&] {
          expect_refusal(post("/v1/login", "",
                              text_of(with(kLogin, "password", raw_string("pw-alice\\u0000junk")))),
                         http::status::unauthorized, "unauthenticated");
        },
        {{{"alice", "login.failure", "user/alice", json::object{{"reason", "wrong password"}}}},
         0,
         1});

  const std::vector<std::tuple<std::string, std::string, std::string>> asks = {
      {"role", raw_string("prod-db-read\\u0000"), "unknown_role"},
      {"role", raw_string("\\u0000"), "unknown_role"},
      {"reason", raw_string("migrate\\u0000orders"), "invalid_text"},
      {"reason", raw_string("next\\u0085line"), "invalid_text"},
      {"reason", raw_string("\\u009b31mred"), "invalid_text"},
      {"reason", raw_string("next\xc2\x85line"), "invalid_text"},
      {"reason", raw_string("\x1b[2J"), "invalid_json"},
      {"reason", raw_string("\\u001b[2J"), "invalid_text"},
      {"ticket", raw_string("OPS-1\\u0000"), "invalid_text"},
      {"duration", raw_string("30m\\u0000"), "invalid_duration"},
  };
  for (const auto& [field, raw, code] : asks) {
    check("request " + field + " " + raw, [&, &field = field, &raw = raw, &code = code] {
      expect_refusal(post("/v1/requests", "alice", text_of(with(kAsk, field, raw))),
                     http::status::bad_request, code);
    });
  }
  check("raw NUL byte inside a JSON string", [&] {
    expect_refusal(post("/v1/requests", "alice",
                        text_of(with(kAsk, "reason", raw_string(std::string("a\0b", 3))))),
                   http::status::bad_request, "invalid_json");
  });

  // A refused break-glass attempt is audited: who, for which role, and why not.
  check("break-glass reason with NUL",
        [&] {
          expect_refusal(post("/v1/breakglass", "alice",
                              text_of(with(kGlass, "reason", raw_string("db\\u0000down")))),
                         http::status::bad_request, "invalid_text");
        },
        {{breakglass_refused("prod-db-read", "invalid_text")}});
  check("break-glass incident with NUL",
        [&] {
          expect_refusal(post("/v1/breakglass", "alice",
                              text_of(with(kGlass, "incident", raw_string("INC\\u0000-1")))),
                         http::status::bad_request, "invalid_text");
        },
        {{breakglass_refused("prod-db-read", "invalid_text")}});
  check("break-glass role with NUL",
        [&] {
          expect_refusal(post("/v1/breakglass", "alice",
                              text_of(with(kGlass, "role", raw_string("prod-db-read\\u0000")))),
                         http::status::bad_request, "unknown_role");
        },
        {{breakglass_refused(std::string("prod-db-read\0", 13), "unknown_role")}});

  check("approval comment with NUL", [&] {
    expect_refusal(post("/v1/requests/req-x/approve", "alice",
                        R"({"comment":"ok\u0000","mfa":{"totp":"000000"}})"),
                   http::status::bad_request, "invalid_text");
  });
  check("revocation reason with NUL", [&] {
    expect_refusal(post("/v1/grants/grant-x/revoke", "alice", R"({"reason":"done\u0000"})"),
                   http::status::bad_request, "invalid_text");
  });
}

// Text is bound as a parameter, never spliced into SQL: metacharacters are ordinary characters,
// accepted and stored exactly. Names that cannot exist are refused (and a malformed login name is
// audited as such).
TEST_F(BadInputTest, SqlMetacharactersAreOrdinaryText) {
  const std::vector<std::pair<std::string, std::string>> texts = {
      {"'; DROP TABLE grants;--", "OPS-1' OR '1'='1"},
      {"Robert\"); DELETE FROM audit; -- \\ % _ ` $1 ?1 :name @x",
       "OPS-2'; UPDATE requests SET "
       "state='active';--"},
  };
  for (const auto& [reason, ticket] : texts) {
    std::string id;
    const Members ask = with(with(kAsk, "reason", json::serialize(json::string(reason))), "ticket",
                             json::serialize(json::string(ticket)));
    SCOPED_TRACE(reason);
    ++cases_;
    const auto before = broker().snapshot();
    const auto answer = post("/v1/requests", "alice", text_of(ask));
    ASSERT_TRUE(answer.has_value());
    ASSERT_EQ(answer->result(), http::status::created) << answer->body();
    const auto created = json::parse(answer->body());
    id = std::string(created.at("id").as_string());
    EXPECT_EQ(created.at("reason").as_string(), reason);
    EXPECT_EQ(created.at("ticket").as_string(), ticket);
    EXPECT_EQ(created.at("state").as_string(), "pending");
    expect_untouched(before, {{{"alice", "request.create", "request/" + id,
                                json::object{{"role", "prod-db-read"},
                                             {"duration_seconds", 1800},
                                             {"ticket", ticket},
                                             {"mfa", json::object{}}}}},
                              1});
    auto db = broker().open();
    SQLite::Statement stored(*db, "SELECT reason, ticket, state FROM requests WHERE id = ?");
    stored.bind(1, id);
    ASSERT_TRUE(stored.executeStep());
    EXPECT_EQ(stored.getColumn(0).getString(), reason);
    EXPECT_EQ(stored.getColumn(1).getString(), ticket);
    EXPECT_EQ(stored.getColumn(2).getString(), "pending");
    const auto fetched = send(make(http::verb::get, "/v1/requests/" + id, "alice"));
    ASSERT_TRUE(fetched.has_value());
    EXPECT_EQ(json::parse(fetched->body()).at("reason").as_string(), reason);
  }

  check("role with SQL", [&] {
    expect_refusal(post("/v1/requests", "alice",
                        text_of(with(kAsk, "role", raw_string("prod-db-read' OR '1'='1")))),
                   http::status::bad_request, "unknown_role");
  });
  for (const std::string name : {"admin'--", "' OR 1=1 --", "carol'; DROP TABLE sessions;--"}) {
    check("login user " + name,
          [&] {
            expect_refusal(post("/v1/login", "", text_of(with(kLogin, "user", raw_string(name)))),
                           http::status::unauthorized, "unauthenticated");
          },
          {{malformed_login(name, broker().dir() / "data")}});
  }
  check("request id with SQL", [&] {
    expect_refusal(send(make(http::verb::get, "/v1/requests/req-1'%20OR%20'1'='1", "alice")),
                   http::status::not_found, "not_found");
  });
  check("state filter with SQL", [&] {
    expect_refusal(send(make(http::verb::get,
                             "/v1/grants?state=active'%3B%20DROP%20TABLE%20grants%3B--", "alice")),
                   http::status::bad_request, "invalid_input");
  });

  std::vector<std::string> tables;
  auto db = broker().open();
  SQLite::Statement names(*db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  while (names.executeStep()) tables.push_back(names.getColumn(0).getString());
  EXPECT_EQ(tables,
            (std::vector<std::string>{"audit", "audit_stream_positions", "certificates", "counters",
                                      "credentials", "event_deliveries", "event_outbox", "grants",
                                      "login_failures", "requests", "reviews", "sessions",
                                      "sso_identities", "webauthn_credentials"}));
}

}  // namespace
}  // namespace jit::broker
