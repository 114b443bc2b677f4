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
#include <functional>
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

// The writer sends the statements nobody waits for (savepoints, audit and certificate INSERTs)
// in pipeline mode, so a failure of one shows at the next statement that waits, and the server
// skips everything sent in between (docs/architecture.md, "The writer on PostgreSQL"). The job
// that failed answers its error, the jobs whose statements were skipped answer `unavailable`,
// the others commit, and the audit chain stays whole.
class PipelinedBatchIt : public PostgresWriterIt {
 protected:
  // Queues `jobs` as one batch: the writer is held by a first job until all are queued. The
  // answers, in order. `commits`: whether the batch is expected to commit.
  std::vector<boost::system::error_code> run_as_one_batch(std::vector<Store::WriteJob> jobs,
                                                          bool commits = true) {
    std::promise<void> release;
    std::promise<void> holding;
    auto released = release.get_future().share();
    store_->write(
        [released, &holding](WriteContext&) {
          holding.set_value();
          released.wait();
          return boost::system::error_code{};
        },
        nullptr);
    holding.get_future().wait();  // the writer is busy: what follows queues up behind it
    std::vector<std::future<boost::system::error_code>> answers;
    for (auto& job : jobs) {
      auto promise = std::make_shared<std::promise<boost::system::error_code>>();
      answers.push_back(promise->get_future());
      store_->write(std::move(job),
                    [promise](boost::system::error_code ec) { promise->set_value(ec); });
    }
    const auto commits_before = store_->commits();
    release.set_value();
    std::vector<boost::system::error_code> results;
    for (auto& answer : answers) results.push_back(answer.get());
    // The holding job's batch, then the jobs' batch if it commits.
    EXPECT_EQ(store_->commits() - commits_before, commits ? 2u : 1u)
        << "the jobs did not run as one batch";
    return results;
  }
  // A job that appends its audit record, then runs `then` (counted in `runs`).
  Store::WriteJob auditing(std::atomic<int>& runs,
                           std::function<void(db::Connection&)> then = nullptr) {
    return [&runs, then](WriteContext& tx) {
      ++runs;
      tx.audit({"tester", "test.write", "test/1", "{}"});
      if (then) then(tx.db());
      return boost::system::error_code{};
    };
  }
  // A duplicate key, sent without waiting: its failure shows later.
  static void duplicate_counter(db::Connection& db) {
    db::Statement(db, "INSERT INTO counters(name, value) VALUES ('ssh_serial', 0)").exec_deferred();
  }
  bool chain_verifies() {
    return store_->read(
        [&](db::Connection& db) { return verify_audit_chain(db, store_->audit_key()).ok; });
  }
};

TEST_F(PipelinedBatchIt, AFailureSeenAtALaterJobsReadFailsThatJobAndTheSkippedOnesOnly) {
  std::atomic<int> runs{0};
  const auto results = run_as_one_batch(
      {auditing(runs), auditing(runs, duplicate_counter),
       auditing(runs, [](db::Connection& db) { db::Statement(db, "SELECT 1").step(); }),
       auditing(runs)});
  ASSERT_EQ(results.size(), 4u);
  EXPECT_FALSE(results[0]);
  EXPECT_EQ(results[1], BrokerErrc::internal);     // a duplicate key no job expected
  EXPECT_EQ(results[2], BrokerErrc::unavailable);  // its statements were skipped
  EXPECT_FALSE(results[3]);
  EXPECT_EQ(runs.load(), 4);  // none ran twice
  EXPECT_EQ(audit_records(), 2);
  EXPECT_TRUE(chain_verifies());  // the fourth record follows the first
  EXPECT_TRUE(store_->writer_available());
}

TEST_F(PipelinedBatchIt, AFailureSeenOnlyAtCommitFailsItsJobAndCommitsTheRest) {
  std::atomic<int> runs{0};
  const auto results =
      run_as_one_batch({auditing(runs), auditing(runs), auditing(runs, duplicate_counter)});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[0]);
  EXPECT_FALSE(results[1]);
  EXPECT_EQ(results[2], BrokerErrc::internal);
  EXPECT_EQ(audit_records(), 2);
  EXPECT_TRUE(chain_verifies());
  EXPECT_FALSE(store_->write_sync(auditing(runs)));
  EXPECT_EQ(audit_records(), 3);
  EXPECT_TRUE(chain_verifies());
}

TEST_F(PipelinedBatchIt, AJobThatFailsAfterItsOwnDeferredFailureIsRolledBackOnce) {
  // The job's own statement failed unseen and the job then answers an error itself: its
  // ROLLBACK TO, skipped by the server, is sent again.
  std::atomic<int> runs{0};
  const auto results = run_as_one_batch({auditing(runs),
                                         [&runs](WriteContext& tx) -> boost::system::error_code {
                                           ++runs;
                                           tx.audit({"tester", "test.write", "test/1", "{}"});
                                           duplicate_counter(tx.db());
                                           return BrokerErrc::conflict;
                                         },
                                         auditing(runs)});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[0]);
  EXPECT_EQ(results[1], BrokerErrc::internal);
  EXPECT_FALSE(results[2]);
  EXPECT_EQ(audit_records(), 2);
  EXPECT_TRUE(chain_verifies());
}

// A job that swallows a failed statement leaves the transaction failed: the next statement of
// the batch (its successor's RELEASE, or the COMMIT) shows it, and the job is never acknowledged.
Store::WriteJob swallowing_a_failure(std::atomic<int>& runs) {
  return [&runs](WriteContext& tx) {
    ++runs;
    tx.audit({"tester", "test.write", "test/1", "{}"});
    try {
      db::Statement(tx.db(), "SELECT 1 / 0").step();
    } catch (const db::Error&) {
      // swallowed: a bug the writer must survive
    }
    return boost::system::error_code{};
  };
}

TEST_F(PipelinedBatchIt, AJobThatSwallowsAFailureIsNotAcknowledged) {
  std::atomic<int> runs{0};
  const auto results =
      run_as_one_batch({auditing(runs), swallowing_a_failure(runs), auditing(runs)});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_FALSE(results[0]);
  EXPECT_EQ(results[1], BrokerErrc::internal);
  EXPECT_EQ(results[2], BrokerErrc::unavailable);
  EXPECT_EQ(audit_records(), 1);
  EXPECT_TRUE(chain_verifies());
}

TEST_F(PipelinedBatchIt, ABatchWhoseCommitRolledBackFailsWholeAndFreesTheChainLock) {
  // Swallowed by the last job, the failure shows only as a COMMIT the server ran as ROLLBACK.
  std::atomic<int> runs{0};
  const auto results =
      run_as_one_batch({auditing(runs), swallowing_a_failure(runs)}, /*commits=*/false);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0], BrokerErrc::internal);
  EXPECT_EQ(results[1], BrokerErrc::internal);
  EXPECT_EQ(audit_records(), 0);
  // Nothing of the batch is left open: another broker takes the chain lock at once.
  auto other = db::PostgresConnection::connect(PostgresServer::shared().url(database_));
  other->begin_write();
  const auto started = std::chrono::steady_clock::now();
  lock_audit_chain(*other);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  other->exec_script("ROLLBACK");
  EXPECT_FALSE(store_->write_sync(auditing(runs)));
  EXPECT_EQ(audit_records(), 1);
  EXPECT_TRUE(chain_verifies());
}

}  // namespace
}  // namespace jit::broker
