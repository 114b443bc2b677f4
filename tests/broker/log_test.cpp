// broker/log.hpp: every line is one line, JSON lines parse as JSON whatever their values hold
// (quotes, newlines, control bytes, invalid UTF-8), text lines keep "jit-broker: LEVEL: EVENT".
#include "broker/log.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <set>
#include <string>

namespace jit::broker {
namespace {

using config::LogFormat;
using namespace std::chrono_literals;

// 2026-12-05T12:44:57.123Z
const std::chrono::system_clock::time_point kLogTestTime{1796474697123ms};

const std::string kNastyValue = std::string(
                                    "a \"quoted\"\nsecond line\r\t\\ \x01\x7f"
                                    " end ") +
                                "\xff\xc0\xaf caf\xc3\xa9 \xe2\x82\xac \xed\xa0\x80";

TEST(LogLine, JsonLineHasTheFieldsAndTypes) {
  LogLine line(LogFormat::json, LogLevel::info, "request", kLogTestTime);
  line.text("request_id", "0123456789abcdef")
      .text_or_null("user", "")
      .text("method", "GET")
      .text_or_null("route", "/v1/requests/{id}")
      .number("status", 404)
      .millis("duration_ms", 12345678ns)
      .text("client", "127.0.0.1");
  const std::string text = std::move(line).finish();
  EXPECT_EQ(text, R"({"time":"2026-12-05T12:44:57.123Z","level":"info","event":"request",)"
                  R"("request_id":"0123456789abcdef","user":null,"method":"GET",)"
                  R"("route":"/v1/requests/{id}","status":404,"duration_ms":12.345,)"
                  R"("client":"127.0.0.1"})"
                  "\n");
  const auto parsed = boost::json::parse(text).as_object();
  EXPECT_TRUE(parsed.at("user").is_null());
  EXPECT_EQ(parsed.at("status").as_int64(), 404);
  EXPECT_DOUBLE_EQ(parsed.at("duration_ms").as_double(), 12.345);
}

TEST(LogLine, JsonEscapesEverythingAndStaysOneLine) {
  LogLine line(LogFormat::json, LogLevel::error, "handler \"threw\"\n", kLogTestTime);
  line.text("error", kNastyValue).text("k\ney", "v");
  const std::string text = std::move(line).finish();
  EXPECT_EQ(text.find('\n'), text.size() - 1) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos);
  boost::json::value parsed;
  ASSERT_NO_THROW(parsed = boost::json::parse(text)) << text;
  const auto& object = parsed.as_object();
  EXPECT_EQ(object.at("level").as_string(), "error");
  EXPECT_EQ(object.at("event").as_string(), "handler \"threw\"\n");
  // Valid UTF-8 is kept; each invalid byte (lone 0xff, the overlong C0 AF, a surrogate) is U+FFFD.
  EXPECT_EQ(object.at("error").as_string(),
            "a \"quoted\"\nsecond line\r\t\\ \x01\x7f"
            " end \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
            " caf\xc3\xa9 \xe2\x82\xac \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(object.at("k\ney").as_string(), "v");
}

TEST(LogLine, TextLineKeepsTheOldLookAndQuotesWhatNeedsIt) {
  LogLine plain(LogFormat::text, LogLevel::warning, "started", kLogTestTime);
  plain.text("listen", "127.0.0.1:8443").text_or_null("user", "").number("status", 200);
  EXPECT_EQ(std::move(plain).finish(),
            "jit-broker: warning: started listen=127.0.0.1:8443 user=- status=200\n");

  LogLine nasty(LogFormat::text, LogLevel::error, "store_job_threw", kLogTestTime);
  nasty.text("error", "x=1 \"y\"\nfake=line\x01\xff").text("empty", "");
  EXPECT_EQ(std::move(nasty).finish(),
            "jit-broker: error: store_job_threw error=\"x=1 \\\"y\\\"\\nfake=line\\x01\\xff\" "
            "empty=\"\"\n");
}

TEST(LogLine, MillisecondsKeepMicrosecondsAndNeverGoNegative) {
  LogLine line(LogFormat::text, LogLevel::info, "e", kLogTestTime);
  line.millis("a", 0ns).millis("b", 999ns).millis("c", 1500us).millis("d", -5ms);
  EXPECT_EQ(std::move(line).finish(), "jit-broker: info: e a=0.000 b=0.000 c=1.500 d=0.000\n");
}

TEST(LogLine, RequestIdsAreSixteenHexDigitsAndDiffer) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const std::string id = new_http_request_id();
    ASSERT_EQ(id.size(), 16u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

}  // namespace
}  // namespace jit::broker
