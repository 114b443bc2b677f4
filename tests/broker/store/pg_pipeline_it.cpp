// Pipeline mode of the PostgreSQL layer (broker/store/pg/pg_pipeline.cpp) against a real
// PostgreSQL 15: deferred statements land with the next statement that waits; the first one that
// fails is reported with the tag it was sent under, and what the server skipped after it never
// happened; a statement whose preparation was skipped is prepared again when next used; a lost
// connection is a connection failure; and the connection works as before once out of the mode.
#include "broker/store/pg/pg_connection.hpp"
#include "tests/broker/support/pg_error_of.hpp"
#include "tests/support/postgres_server.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jit::broker::pg {
namespace {

using testing::pg_error_of;
using testing::PostgresServer;

class PgPipelineIt : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = PostgresServer::shared().create_database();
    connection_.emplace(connect());
    connection_->execute_script("CREATE TABLE items (id bigint PRIMARY KEY)");
  }
  Connection connect() const {
    return Connection::connect(PostgresServer::shared().url(database_));
  }
  std::int64_t count_items() {
    auto reader = connect();
    return reader.execute("SELECT count(*) FROM items").get_int64(0, 0);
  }
  // The connection in pipeline mode, with BEGIN sent (not yet waited for).
  Connection& begin_pipelined() {
    connection_->enter_pipeline();
    connection_->execute_deferred("BEGIN");
    return *connection_;
  }
  void insert_later(std::int64_t id) {
    connection_->execute_deferred("INSERT INTO items(id) VALUES ($1)", {id});
  }

  std::string database_;
  std::optional<Connection> connection_;
};

TEST_F(PgPipelineIt, DeferredStatementsLandWithTheNextStatementThatWaits) {
  Connection& db = begin_pipelined();
  EXPECT_TRUE(db.in_pipeline());
  insert_later(1);
  insert_later(2);  // the statement prepared by the first is reused
  EXPECT_EQ(db.execute("SELECT count(*) FROM items").get_int64(0, 0), 2);
  EXPECT_EQ(count_items(), 0);  // not committed yet
  insert_later(3);
  EXPECT_EQ(db.execute_script("COMMIT").command_status(), "COMMIT");
  EXPECT_FALSE(db.take_deferred_failure());
  db.exit_pipeline();
  EXPECT_FALSE(db.in_pipeline());
  EXPECT_TRUE(db.ok());
  EXPECT_EQ(count_items(), 3);
  EXPECT_EQ(db.execute("SELECT count(*) FROM items").get_int64(0, 0), 3);  // out of the mode
}

TEST_F(PgPipelineIt, TheFirstFailureIsReportedWithItsTagAndWhatFollowedIsSkipped) {
  Connection& db = begin_pipelined();
  db.set_deferred_tag(1);
  insert_later(1);
  db.execute_deferred("SAVEPOINT job");
  db.set_deferred_tag(2);
  insert_later(1);  // a duplicate
  db.set_deferred_tag(3);
  insert_later(3);  // skipped by the server
  // The waiting statement does not run; it fails with the cause, not with "aborted".
  EXPECT_EQ(pg_error_of([&] { db.execute("SELECT count(*) FROM items"); }).failure(),
            Failure::unique_violation);
  auto failure = db.take_deferred_failure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->tag, 2u);
  EXPECT_EQ(failure->error.failure(), Failure::unique_violation);
  EXPECT_FALSE(db.take_deferred_failure());  // taken once
  db.execute_script("ROLLBACK TO job");
  EXPECT_EQ(db.execute("SELECT count(*) FROM items").get_int64(0, 0), 1);  // 3 never happened
  EXPECT_EQ(db.execute_script("COMMIT").command_status(), "COMMIT");
  db.exit_pipeline();
  EXPECT_TRUE(db.ok());
  EXPECT_EQ(count_items(), 1);
}

TEST_F(PgPipelineIt, AStatementWhosePreparationWasSkippedIsPreparedAgain) {
  Connection& db = begin_pipelined();
  insert_later(1);
  insert_later(1);  // fails
  // New SQL: its Parse is skipped along with it.
  db.execute_deferred("UPDATE items SET id = id WHERE id = $1", {std::int64_t{1}});
  EXPECT_THROW(db.sync(), Error);
  ASSERT_TRUE(db.take_deferred_failure());
  db.execute_script("ROLLBACK");
  db.execute_deferred("BEGIN");
  db.execute_deferred("UPDATE items SET id = id WHERE id = $1", {std::int64_t{1}});
  insert_later(7);
  db.sync();
  EXPECT_FALSE(db.take_deferred_failure());
  db.execute_script("COMMIT");
  db.exit_pipeline();
  EXPECT_EQ(count_items(), 1);
}

TEST_F(PgPipelineIt, ALostConnectionIsAConnectionFailure) {
  Connection& db = begin_pipelined();
  insert_later(1);
  connect().execute("SELECT pg_terminate_backend($1::integer)", {db.backend_pid()});
  EXPECT_EQ(pg_error_of([&] { db.execute("SELECT count(*) FROM items"); }).failure(),
            Failure::connection);
  EXPECT_FALSE(db.ok());
  db.exit_pipeline();  // does not throw
  EXPECT_FALSE(db.ok());
  EXPECT_EQ(count_items(), 0);
}

}  // namespace
}  // namespace jit::broker::pg
