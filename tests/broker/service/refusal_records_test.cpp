// What the broker writes and answers when it refuses an attempt: every refused break-glass attempt
// is audited, whatever made it invalid, and caller text quoted in an audit record or an error is
// cut between characters, so both stay valid UTF-8 JSON.
#include "tests/support/access_fixture.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;

// The details of each breakglass.refused record, oldest first, parsed strictly.
std::vector<json::value> refusal_details(AccessFixture& f) {
  return f.store_->read([](SQLite::Database& db) {
    std::vector<json::value> details;
    SQLite::Statement q(db,
                        "SELECT details FROM audit WHERE action = 'breakglass.refused' "
                        "AND actor = 'erin' AND object = 'user/erin' ORDER BY seq");
    while (q.executeStep()) {
      boost::system::error_code ec;
      details.push_back(json::parse(q.getColumn(0).getString(), ec));
      if (ec) details.back() = "unparsable";
    }
    return details;
  });
}

json::object glass(std::string role, std::string duration) {
  return {{"role", std::move(role)},
          {"incident", "INC-7"},
          {"reason", "db down"},
          {"duration", std::move(duration)}};
}

TEST(RefusalRecords, BreakGlassWithADurationThatDoesNotParseIsAudited) {
  AccessFixture f;
  const auto erin = f.sign_in("erin");
  // Refused like a duration above the maximum, which the rules already audited.
  for (const std::string duration : {"-1h", "99999999999999h", "1.5h", "0s", "31m"}) {
    auto answer = f.post("/v1/breakglass", glass("prod-db-read", duration), erin);
    EXPECT_EQ(answer.status, 400u) << duration;
    EXPECT_EQ(code_of(answer), duration == "31m" ? "duration_above_max" : "invalid_duration")
        << duration;
  }
  const json::value invalid = json::object{{"role", "prod-db-read"}, {"code", "invalid_duration"}};
  const json::value above = json::object{{"role", "prod-db-read"}, {"code", "duration_above_max"}};
  EXPECT_EQ(refusal_details(f),
            (std::vector<json::value>{invalid, invalid, invalid, invalid, above}));
  EXPECT_EQ(f.count_rows("requests"), 0);
}

TEST(RefusalRecords, LongRoleNameIsCutBetweenCharacters) {
  AccessFixture f;
  const auto erin = f.sign_in("erin");
  const std::string e_acute = "\xc3\xa9";
  // The record keeps 64 bytes of the name: here the 64th is the first half of the é.
  auto answer = f.post("/v1/breakglass", glass(std::string(63, 'r') + e_acute, "10m"), erin);
  EXPECT_EQ(code_of(answer), "unknown_role");
  answer = f.post("/v1/breakglass", glass(std::string(62, 'r') + e_acute + "x", "10m"), erin);
  EXPECT_EQ(code_of(answer), "unknown_role");
  EXPECT_EQ(refusal_details(f),
            (std::vector<json::value>{
                json::object{{"role", std::string(63, 'r')}, {"code", "unknown_role"}},
                json::object{{"role", std::string(62, 'r') + e_acute}, {"code", "unknown_role"}}}));
}

TEST(RefusalAnswers, UnknownFieldNameIsCutBetweenCharacters) {
  AccessFixture f;
  const auto alice = f.sign_in("alice");
  json::object body{{"role", "prod-db-read"}, {"reason", "r"}, {"ticket", "t"}};
  body[std::string(39, 'k') + "\xe2\x82\xac" + "tail"] = 1;  // the 40th byte starts the euro sign
  const auto answer = f.post("/v1/requests", body, alice);
  EXPECT_EQ(answer.status, 400u);
  ASSERT_TRUE(answer.body.is_object()) << answer.raw.body();  // strict parse: valid UTF-8
  EXPECT_EQ(code_of(answer), "invalid_input");
  EXPECT_EQ(answer.body.at("error").as_string(), "unknown field '" + std::string(39, 'k') + "'");
}

}  // namespace
}  // namespace jit::broker
