// SQL written once with SQLite's `?` / `?N` placeholders becomes PostgreSQL's `$N`
// (broker/store/db/placeholders.hpp), leaving quoted text and comments alone.
#include "broker/store/db/placeholders.hpp"

#include "broker/store/db/db_connection.hpp"

#include <gtest/gtest.h>

namespace jit::broker::db {
namespace {

TEST(PlaceholdersTest, BareQuestionMarksAreNumberedInOrder) {
  const auto numbered = number_placeholders("UPDATE t SET a = ?, b = ? WHERE id = ?");
  EXPECT_EQ(numbered.sql, "UPDATE t SET a = $1, b = $2 WHERE id = $3");
  EXPECT_EQ(numbered.parameter_count, 3);
}

TEST(PlaceholdersTest, NumberedPlaceholdersKeepTheirNumberAndBareOnesFollowTheHighest) {
  // SQLite's rule: a bare `?` takes the highest number so far plus one.
  const auto numbered =
      number_placeholders("VALUES (?1, ?2, ?3) ON CONFLICT DO UPDATE SET a = ?2, b = ?");
  EXPECT_EQ(numbered.sql, "VALUES ($1, $2, $3) ON CONFLICT DO UPDATE SET a = $2, b = $4");
  EXPECT_EQ(numbered.parameter_count, 4);
}

TEST(PlaceholdersTest, QuotedTextIdentifiersAndCommentsAreLeftAlone) {
  const auto numbered = number_placeholders(
      "SELECT '?', 'it''s ?' FROM \"user?\" -- what ?\nWHERE \"user\" = ? /* ? */ AND x = ?");
  EXPECT_EQ(
      numbered.sql,
      "SELECT '?', 'it''s ?' FROM \"user?\" -- what ?\nWHERE \"user\" = $1 /* ? */ AND x = $2");
  EXPECT_EQ(numbered.parameter_count, 2);
}

TEST(PlaceholdersTest, NoPlaceholdersLeavesTheTextAsItIs) {
  const auto numbered = number_placeholders("SELECT count(*) FROM grants");
  EXPECT_EQ(numbered.sql, "SELECT count(*) FROM grants");
  EXPECT_EQ(numbered.parameter_count, 0);
}

TEST(PlaceholdersTest, MalformedSqlIsRefused) {
  EXPECT_THROW(number_placeholders("SELECT ?0"), Error);
  EXPECT_THROW(number_placeholders("SELECT ?40000"), Error);
  EXPECT_THROW(number_placeholders("SELECT ?1234567"), Error);
  EXPECT_THROW(number_placeholders("SELECT 'open"), Error);
  EXPECT_THROW(number_placeholders("SELECT \"open"), Error);
  EXPECT_THROW(number_placeholders("SELECT 1 /* open"), Error);
}

}  // namespace
}  // namespace jit::broker::db
