// The store's writer on a real PostgreSQL when its connection is lost (docs/architecture.md, "The
// writer on PostgreSQL"): a batch that finds the connection gone before any job ran runs once more
// on a new connection and succeeds; a job whose connection dies while it runs answers
// `unavailable` and is not run again (jobs fill their callers' state as they go); the next write
// reconnects; while the server refuses connections every queued write answers `unavailable` at
// once; a write waiting on a lock another session holds answers `unavailable` after the lock
// timeout instead of hanging; and writer_available() follows all of it.
#include "broker/store/db/postgres_connection.hpp"
#include "broker/store/store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_audit_key.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <vector>

namespace jit::broker {
namespace {

using jit::testing::PostgresServer;

class PostgresWriterIt : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = PostgresServer::shared().create_database();
    store_ = Store::open_postgresql(PostgresServer::shared().url(database_),
                                    jit::testing::test_audit_key());
  }
  // Ends every session of the test's database, as a restart or an administrator would.
  void terminate_sessions() const {
    PostgresServer::shared().admin_execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database_ +
        "' AND pid <> pg_backend_pid()");
  }
  // A job that counts its runs and appends one audit record.
  Store::WriteJob counted(std::atomic<int>& runs) {
    return [&runs](WriteContext& tx) {
      ++runs;
      tx.audit({"tester", "test.write", "test/1", "{}"});
      return boost::system::error_code{};
    };
  }
  std::int64_t audit_records() {
    return store_->read([](db::Connection& db) {
      db::Statement count(db, "SELECT count(*) FROM audit WHERE action = 'test.write'");
      count.step();
      return count.get_int64(0);
    });
  }

  std::string database_;
  std::unique_ptr<Store> store_;
};

TEST_F(PostgresWriterIt, AWriteWaitingOnALockHeldElsewhereAnswersUnavailableAfterTheLockTimeout) {
  // Another broker (here a bare session) holds the audit chain's lock in an open transaction.
  auto other = db::PostgresConnection::connect(PostgresServer::shared().url(database_));
  other->begin_write();
  lock_audit_chain(*other);
  std::atomic<int> runs{0};
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(store_->write_sync(counted(runs)), BrokerErrc::unavailable);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, std::chrono::seconds(4));  // lock_timeout is 5 s
  EXPECT_LT(waited, std::chrono::seconds(9));
  EXPECT_EQ(runs.load(), 0);
  EXPECT_TRUE(store_->writer_available());  // the connection is fine; the lock was busy
  other->exec_script("ROLLBACK");
  EXPECT_FALSE(store_->write_sync(counted(runs)));
  EXPECT_EQ(runs.load(), 1);
}

TEST_F(PostgresWriterIt, ABatchThatFindsItsConnectionGoneRunsOnceOnANewOne) {
  std::atomic<int> runs{0};
  ASSERT_FALSE(store_->write_sync(counted(runs)));
  terminate_sessions();
  EXPECT_FALSE(store_->write_sync(counted(runs)));
  EXPECT_EQ(runs.load(), 2);  // each job once: the lost connection showed at BEGIN
  EXPECT_TRUE(store_->writer_available());
  EXPECT_EQ(audit_records(), 2);
}

TEST_F(PostgresWriterIt, AJobWhoseConnectionDiesAnswersUnavailableAndIsNotRunAgain) {
  std::atomic<int> runs{0};
  const auto dying = [&runs](WriteContext& tx) {
    ++runs;
    tx.audit({"tester", "test.write", "test/1", "{}"});
    db::Statement(tx.db(), "SELECT pg_terminate_backend(pg_backend_pid())").step();
    return boost::system::error_code{};
  };
  EXPECT_EQ(store_->write_sync(dying), BrokerErrc::unavailable);
  EXPECT_EQ(runs.load(), 1);
  EXPECT_FALSE(store_->writer_available());
  std::atomic<int> after{0};
  EXPECT_FALSE(store_->write_sync(counted(after)));  // reconnects
  EXPECT_EQ(after.load(), 1);
  EXPECT_TRUE(store_->writer_available());
  EXPECT_EQ(audit_records(), 1);  // the dying job's record was rolled back with it
}

TEST_F(PostgresWriterIt, WhileConnectionsAreRefusedQueuedWritesAnswerUnavailableAtOnce) {
  const PostgresServer& server = PostgresServer::shared();
  server.admin_execute("ALTER DATABASE \"" + database_ + "\" ALLOW_CONNECTIONS false");
  terminate_sessions();
  std::atomic<int> runs{0};
  std::vector<std::future<boost::system::error_code>> answers;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) {
    auto promise = std::make_shared<std::promise<boost::system::error_code>>();
    answers.push_back(promise->get_future());
    store_->write(counted(runs),
                  [promise](boost::system::error_code ec) { promise->set_value(ec); });
  }
  for (auto& answer : answers) EXPECT_EQ(answer.get(), BrokerErrc::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(runs.load(), 0);
  EXPECT_FALSE(store_->writer_available());

  server.admin_execute("ALTER DATABASE \"" + database_ + "\" ALLOW_CONNECTIONS true");
  // The writer tries again at most once a second.
  boost::system::error_code last = BrokerErrc::unavailable;
  for (int i = 0; i < 30 && last; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    last = store_->write_sync(counted(runs));
  }
  EXPECT_FALSE(last);
  EXPECT_TRUE(store_->writer_available());
}

// A session that turns read-only (what a failover leaves on a server that became a standby)
// fails its writes with SQLSTATE 25006: the write answers 503, and the writer gives the session up
// and opens a new one for the next write instead of failing every write from then on.
TEST_F(PostgresWriterIt, ASessionThatTurnedReadOnlyIsReplacedAfterItsFirstRefusedWrite) {
  ASSERT_FALSE(store_->write_sync([](WriteContext& tx) {
    tx.db().exec_script("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
    return boost::system::error_code{};
  }));
  std::atomic<int> runs{0};
  EXPECT_EQ(store_->write_sync(counted(runs)), BrokerErrc::unavailable);
  EXPECT_FALSE(store_->write_sync(counted(runs)));
  EXPECT_EQ(runs.load(), 2);
  EXPECT_EQ(audit_records(), 1);
}

}  // namespace
}  // namespace jit::broker
