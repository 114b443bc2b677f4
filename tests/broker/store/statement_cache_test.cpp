#include "broker/store/statement_cache.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace jit::broker {
namespace {

bool any_statement_busy(SQLite::Database& db) {
  for (auto* s = sqlite3_next_stmt(db.getHandle(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(db.getHandle(), s)) {
    if (sqlite3_stmt_busy(s) != 0) return true;
  }
  return false;
}

class StatementCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.exec("CREATE TABLE t (v INTEGER)");
    db_.exec("INSERT INTO t VALUES (1), (2), (3)");
  }
  void TearDown() override { drop_statement_cache(db_); }

  SQLite::Database db_{":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE};
};

TEST_F(StatementCacheTest, WithoutACacheEveryUsePreparesAFreshStatement) {
  const SQLite::Statement* first = nullptr;
  {
    auto q = prepare_cached(db_, "SELECT v FROM t");
    first = &*q;
  }
  auto again = prepare_cached(db_, "SELECT v FROM t");
  auto other = prepare_cached(db_, "SELECT v FROM t");  // both live at once: two statements
  EXPECT_NE(&*again, &*other);
  EXPECT_NE(first, nullptr);
}

TEST_F(StatementCacheTest, ACachedStatementIsReusedResetAndUnbound) {
  enable_statement_cache(db_);
  const SQLite::Statement* handle = nullptr;
  {
    auto q = prepare_cached(db_, "SELECT v FROM t WHERE v >= ? ORDER BY v");
    q->bind(1, 2);
    ASSERT_TRUE(q->executeStep());  // left in the middle of its rows
    EXPECT_EQ(q->getColumn(0).getInt(), 2);
    handle = &*q;
  }
  // Reset when the use ended: not busy, so it holds no read transaction open.
  EXPECT_FALSE(any_statement_busy(db_));
  auto q = prepare_cached(db_, "SELECT v FROM t WHERE v >= ? ORDER BY v");
  EXPECT_EQ(&*q, handle);
  // The binding of the previous use is gone: NULL matches nothing.
  EXPECT_FALSE(q->executeStep());
}

TEST_F(StatementCacheTest, ANestedUseOfTheSameSqlGetsItsOwnStatement) {
  enable_statement_cache(db_);
  auto outer = prepare_cached(db_, "SELECT v FROM t ORDER BY v");
  ASSERT_TRUE(outer->executeStep());
  auto inner = prepare_cached(db_, "SELECT v FROM t ORDER BY v");
  EXPECT_NE(&*inner, &*outer);
  ASSERT_TRUE(inner->executeStep());
  ASSERT_TRUE(outer->executeStep());
  EXPECT_EQ(outer->getColumn(0).getInt(), 2);  // the outer iteration was not disturbed
}

TEST_F(StatementCacheTest, BeyondItsCapacityStatementsArePreparedEachTime) {
  enable_statement_cache(db_, 1);
  const SQLite::Statement* kept = nullptr;
  {
    auto q = prepare_cached(db_, "SELECT 1");
    kept = &*q;
  }
  const SQLite::Statement* first_extra = nullptr;
  {
    auto q = prepare_cached(db_, "SELECT 2");
    first_extra = &*q;
    ASSERT_TRUE(q->executeStep());
    EXPECT_EQ(q->getColumn(0).getInt(), 2);
  }
  auto q = prepare_cached(db_, "SELECT 1");
  EXPECT_EQ(&*q, kept);
  EXPECT_NE(first_extra, nullptr);
}

TEST_F(StatementCacheTest, BadSqlThrowsAndLeavesNoEntry) {
  enable_statement_cache(db_);
  EXPECT_THROW(prepare_cached(db_, "SELEC nonsense"), SQLite::Exception);
  EXPECT_THROW(prepare_cached(db_, "SELEC nonsense"), SQLite::Exception);
}

}  // namespace
}  // namespace jit::broker
