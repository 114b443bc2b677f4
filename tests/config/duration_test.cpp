#include "config/duration.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace jit::config {
namespace {

struct DurationCase {
  std::string text;
  std::optional<std::int64_t> seconds;  // nullopt: must be refused
};

TEST(ParseDuration, AcceptsAndRefusesTheTable) {
  const std::int64_t max = kMaxDuration.count();
  const std::vector<DurationCase> cases = {
      {"30s", 30},
      {"15m", 900},
      {"8h", 28800},
      {"1h30m", 5400},
      {"2d", 172800},
      {"1d2h3m4s", 93784},
      {"0s", 0},
      {"0m", 0},
      {"90m", 5400},
      {"007s", 7},
      {"36500d", max},
      {"36499d23h59m60s", max},
      {"36500d1s", std::nullopt},  // above the cap
      {"36501d", std::nullopt},
      {"99999999999999999999s", std::nullopt},  // would overflow 64 bits
      {"9223372036854775807s", std::nullopt},
      {"", std::nullopt},  // zero-length
      {"s", std::nullopt},
      {"30", std::nullopt},    // no unit
      {"-30s", std::nullopt},  // negative
      {"+30s", std::nullopt},
      {" 30s", std::nullopt},
      {"30s ", std::nullopt},
      {"30 s", std::nullopt},
      {"30S", std::nullopt},  // units are lower case
      {"1.5h", std::nullopt},
      {"30m1h", std::nullopt},  // out of order
      {"1h1h", std::nullopt},   // repeated
      {"1w", std::nullopt},     // unknown unit
      {"1h30", std::nullopt},   // trailing number
      {"h1", std::nullopt},
      {"1hh", std::nullopt},
      {"0x10s", std::nullopt},
      {std::string("1h\0m", 4), std::nullopt},
  };
  for (const DurationCase& c : cases) {
    const auto parsed = parse_duration(c.text);
    if (c.seconds) {
      ASSERT_TRUE(parsed.has_value()) << "'" << c.text << "'";
      EXPECT_EQ(parsed->count(), *c.seconds) << "'" << c.text << "'";
    } else {
      EXPECT_FALSE(parsed.has_value()) << "'" << c.text << "' gave " << parsed->count();
    }
  }
}

TEST(FormatDuration, WritesTheShortestForm) {
  const std::vector<std::pair<std::int64_t, std::string>> cases = {
      {0, "0s"},           {1, "1s"},     {59, "59s"},       {60, "1m"},    {61, "1m1s"},
      {900, "15m"},        {3600, "1h"},  {5400, "1h30m"},   {28800, "8h"}, {86400, "1d"},
      {93784, "1d2h3m4s"}, {-30, "-30s"}, {-5400, "-1h30m"},
  };
  for (const auto& [seconds, text] : cases) {
    EXPECT_EQ(format_duration(Seconds{seconds}), text) << seconds;
  }
}

TEST(FormatDuration, HandlesTheExtremes) {
  EXPECT_EQ(format_duration(Seconds{std::numeric_limits<std::int64_t>::max()}),
            "106751991167300d15h30m7s");
  EXPECT_EQ(format_duration(Seconds{std::numeric_limits<std::int64_t>::min()}),
            "-106751991167300d15h30m8s");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (std::int64_t seconds :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{59}, std::int64_t{3599}, std::int64_t{86399},
        std::int64_t{86401}, std::int64_t{1234567}, kMaxDuration.count()}) {
    const auto parsed = parse_duration(format_duration(Seconds{seconds}));
    ASSERT_TRUE(parsed.has_value()) << seconds;
    EXPECT_EQ(parsed->count(), seconds);
  }
}

}  // namespace
}  // namespace jit::config
