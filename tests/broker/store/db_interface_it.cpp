// The backend-neutral database interface (broker/store/db/) behaves the same on SQLite and on a
// real PostgreSQL 15 (tests/support/postgres_server.hpp): typed binds and getters, checked
// indexes, NULLs, error kinds, transactions and savepoints. Each test runs once per backend.
#include "broker/store/db/db_connection.hpp"
#include "broker/store/db/postgres_connection.hpp"
#include "broker/store/db/sqlite_connection.hpp"
#include "broker/store/store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace jit::broker::db {
namespace {

using testing::PostgresServer;

class DbInterfaceIt : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::sqlite) {
      connection_ = std::make_unique<SqliteConnection>(
          open_connection(temp_.path() / "interface.sqlite", true));
    } else {
      auto& server = PostgresServer::shared();
      connection_ = PostgresConnection::connect(server.url(server.create_database()));
    }
    // Only the blob type differs (the migrations isolate such differences for the store).
    const std::string bytes_type = GetParam() == Backend::sqlite ? "BLOB" : "BYTEA";
    connection_->exec_script(
        "CREATE TABLE items (id TEXT PRIMARY KEY, \"user\" TEXT, n BIGINT NOT NULL, data " +
        bytes_type + ")");
  }
  Connection& db() { return *connection_; }
  std::int64_t count_items() {
    Statement q(db(), "SELECT count(*) FROM items");
    EXPECT_TRUE(q.step());
    return q.get_int64(0);
  }

  jit::testing::TempDir temp_;
  std::unique_ptr<Connection> connection_;
};

TEST_P(DbInterfaceIt, ValuesOfEveryTypeComeBackAsBound) {
  const std::vector<std::byte> bytes{std::byte{0}, std::byte{1}, std::byte{0xff}, std::byte{0x27},
                                     std::byte{0x3f}};
  Statement insert(db(), "INSERT INTO items (id, \"user\", n, data) VALUES (?, ?, ?, ?)");
  insert.bind(1, "it's ?");
  insert.bind(2, std::optional<std::string>());
  insert.bind(3, std::numeric_limits<std::int64_t>::min());
  insert.bind_bytes(4, bytes);
  EXPECT_EQ(insert.exec(), 1);

  Statement q(db(), "SELECT id, \"user\", n, data FROM items WHERE n = ?1 AND id = ?");
  q.bind(1, std::numeric_limits<std::int64_t>::min());
  q.bind(2, std::string("it's ?"));
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.get_text(0), "it's ?");
  EXPECT_TRUE(q.is_null(1));
  EXPECT_EQ(q.get_optional_text(1), std::nullopt);
  EXPECT_EQ(q.get_int64(2), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(q.get_bytes(3), bytes);
  EXPECT_FALSE(q.step());
}

TEST_P(DbInterfaceIt, ResetRunsTheStatementAgainWithNewValues) {
  Statement insert(db(), "INSERT INTO items (id, n) VALUES (?, ?)");
  for (int i = 0; i < 3; ++i) {
    insert.bind(1, "id-" + std::to_string(i));
    insert.bind(2, i);
    EXPECT_EQ(insert.exec(), 1);
    insert.reset();
  }
  Statement sum(db(), "SELECT id, n FROM items WHERE n >= ? ORDER BY n");
  sum.bind(1, 1);
  std::vector<std::string> ids;
  while (sum.step()) ids.push_back(sum.get_text(0));
  EXPECT_EQ(ids, (std::vector<std::string>{"id-1", "id-2"}));
  Statement update(db(), "UPDATE items SET n = n + 10 WHERE n < ?");
  update.bind(1, 2);
  EXPECT_EQ(update.exec(), 2);
}

TEST_P(DbInterfaceIt, IndexesNullsAndTypesAreChecked) {
  Statement insert(db(), "INSERT INTO items (id, n) VALUES (?, ?)");
  EXPECT_THROW(insert.bind(0, 1), Error);
  EXPECT_THROW(insert.bind(3, 1), Error);
  EXPECT_THROW(insert.bind(1, std::numeric_limits<std::uint64_t>::max()), Error);
  insert.bind(1, "a");
  insert.bind(2, 7);
  insert.exec();

  Statement q(db(), "SELECT id, n, \"user\" FROM items");
  EXPECT_THROW(q.get_text(0), Error);  // no row yet
  ASSERT_TRUE(q.step());
  EXPECT_THROW(q.get_text(3), Error);
  EXPECT_THROW(q.get_text(-1), Error);
  EXPECT_THROW(q.get_int64(0), Error);  // text, not an integer
  EXPECT_THROW(q.get_text(1), Error);   // an integer, not text
  EXPECT_THROW(q.get_text(2), Error);   // NULL
  EXPECT_EQ(q.get_optional_int64(1), 7);
  EXPECT_FALSE(q.step());
  EXPECT_THROW(q.get_int64(1), Error);  // past the last row
}

TEST_P(DbInterfaceIt, DuplicateKeyIsUniqueViolationAndBadSqlIsOther) {
  Statement insert(db(), "INSERT INTO items (id, n) VALUES ('same', 1)");
  insert.exec();
  try {
    Statement again(db(), "INSERT INTO items (id, n) VALUES ('same', 2)");
    again.exec();
    FAIL() << "duplicate accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.failure(), Failure::unique_violation);
    EXPECT_EQ(e.code(), BrokerErrc::conflict);
  }
  try {
    Statement bad(db(), "SELECT nothing FROM nowhere");
    bad.step();
    FAIL() << "bad SQL accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.failure(), Failure::other);
    EXPECT_EQ(e.code(), BrokerErrc::internal);
  }
}

TEST_P(DbInterfaceIt, TransactionsCommitOrRollBackAndSavepointsUndoOnlyTheirPart) {
  {
    Transaction transaction(db());
    Statement(db(), "INSERT INTO items (id, n) VALUES ('dropped', 1)").exec();
  }  // not committed: rolled back
  EXPECT_EQ(count_items(), 0);

  Transaction transaction(db());
  Statement(db(), "INSERT INTO items (id, n) VALUES ('kept', 1)").exec();
  {
    Savepoint job(db(), "job");
    Statement(db(), "INSERT INTO items (id, n) VALUES ('undone', 2)").exec();
    job.rollback();
  }
  {
    Savepoint job(db(), "job");
    Statement(db(), "INSERT INTO items (id, n) VALUES ('released', 3)").exec();
    job.release();
  }
  transaction.commit();
  Statement q(db(), "SELECT id FROM items ORDER BY n");
  std::vector<std::string> ids;
  while (q.step()) ids.push_back(q.get_text(0));
  EXPECT_EQ(ids, (std::vector<std::string>{"kept", "released"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, DbInterfaceIt,
                         ::testing::Values(Backend::sqlite, Backend::postgresql),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::sqlite ? "sqlite" : "postgresql";
                         });

}  // namespace
}  // namespace jit::broker::db
