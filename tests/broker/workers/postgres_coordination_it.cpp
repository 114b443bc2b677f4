// The two workers that coordinate brokers through PostgreSQL itself (docs/architecture.md, "Several
// brokers on one database"), against a real PostgreSQL 15: SweeperLeadership (one session-level
// advisory lock, handed over when its session ends) and RevocationListener (LISTEN on the channel
// a revoking transaction notifies, reconnecting after its session was killed).
#include "broker/store/access_records.hpp"
#include "broker/store/pg/pg_connection.hpp"
#include "broker/store/store.hpp"
#include "broker/workers/revocation_listener.hpp"
#include "broker/workers/sweeper_leadership.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_audit_key.hpp"

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace jit::broker {
namespace {

using jit::testing::eventually;

using jit::testing::PostgresServer;
using namespace std::chrono_literals;

class PostgresCoordinationIt : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = PostgresServer::shared().create_database();
    url_ = PostgresServer::shared().url(database_);
    runner_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    io_.stop();
    if (runner_.joinable()) runner_.join();
  }
  // After the workers stopped: lets the io_context run their cancelled waits to the end, so none
  // is still queued when a worker is destroyed.
  void drain_io() {
    work_.reset();
    runner_.join();
  }

  std::function<pg::Connection()> sessions() const {
    return [url = url_] { return pg::Connection::connect(url); };
  }
  // Ends the server sessions that `where` (a condition on pg_stat_activity or pg_locks, of this
  // test's database) selects, as an administrator or a failing network would.
  void terminate(const std::string& from, const std::string& where) const {
    PostgresServer::shared().admin_execute(
        "SELECT pg_terminate_backend(pid) FROM " + from + " WHERE " + where, database_);
  }
  void terminate_sweeper_lock_holder() const {
    // The query docs/operations.md gives operators to find the leader (kSweeperLockKey's halves).
    terminate("pg_locks",
              "locktype = 'advisory' AND classid = 1785295987 AND objid = 2003133808 AND "
              "database = (SELECT oid FROM pg_database WHERE datname = current_database())");
  }

  std::string database_;
  std::string url_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread runner_;
};

// What one SweeperLeadership told its owner, in order.
struct LeadershipChanges {
  std::mutex mutex;
  std::vector<bool> seen;
  SweeperLeadership::Changed record() {
    return [this](bool leading) {
      std::lock_guard lock(mutex);
      seen.push_back(leading);
    };
  }
  std::vector<bool> all() {
    std::lock_guard lock(mutex);
    return seen;
  }
};

TEST_F(PostgresCoordinationIt, TheSweeperLockHasOneHolderAndPassesOnWhenItsSessionEnds) {
  LeadershipChanges first_changes, second_changes;
  SweeperLeadership first(sessions(), first_changes.record(), 200ms);
  SweeperLeadership second(sessions(), second_changes.record(), 200ms);
  first.start();
  second.start();
  EXPECT_TRUE(first.leading());
  EXPECT_FALSE(second.leading());
  std::this_thread::sleep_for(600ms);  // several rounds: nothing changes while the leader lives
  EXPECT_TRUE(first.leading());
  EXPECT_FALSE(second.leading());
  EXPECT_EQ(first_changes.all(), std::vector<bool>{true});
  EXPECT_TRUE(second_changes.all().empty());

  // The leader's session is killed: it notices at its next round and steps down; then exactly one
  // of the two leads again (whichever took the freed lock first).
  terminate_sweeper_lock_holder();
  ASSERT_TRUE(eventually(
      [&] { return first_changes.all().size() >= 2 || !second_changes.all().empty(); }, 2s));
  ASSERT_TRUE(eventually([&] { return first.leading() != second.leading(); }, 2s));
  std::this_thread::sleep_for(500ms);
  EXPECT_NE(first.leading(), second.leading());

  // A leader that stops closes its session: the other takes over within a round or two.
  SweeperLeadership& leader = first.leading() ? first : second;
  SweeperLeadership& follower = first.leading() ? second : first;
  leader.stop();
  EXPECT_FALSE(leader.leading());
  EXPECT_TRUE(eventually([&] { return follower.leading(); }, 1s));
  follower.stop();
  drain_io();
}

TEST_F(PostgresCoordinationIt, TheSweeperLockWaitsForADatabaseThatCannotBeReached) {
  LeadershipChanges changes;
  std::atomic<bool> reachable{false};
  SweeperLeadership leadership(
      [&, connect = sessions()] {
        if (!reachable) throw pg::Error(pg::Failure::connection, "", "unreachable (test)");
        return connect();
      },
      changes.record(), 100ms);
  leadership.start();
  EXPECT_FALSE(leadership.leading());
  reachable = true;
  EXPECT_TRUE(eventually([&] { return leadership.leading(); }, 1s));
  // The owner hears of it just after the flag turns (the callback runs after the store).
  EXPECT_TRUE(eventually([&] { return changes.all() == std::vector<bool>{true}; }, 1s))
      << changes.all().size() << " changes";
  leadership.stop();
  drain_io();
}

TEST_F(PostgresCoordinationIt, ARevokingTransactionWakesTheListenerAtItsCommitOnly) {
  auto store = Store::open_postgresql(url_, jit::testing::test_audit_key());
  std::atomic<int> wakes{0};
  RevocationListener listener(
      io_, sessions(), [&] { ++wakes; }, 100ms);
  listener.start();
  ASSERT_TRUE(listener.listening());
  ASSERT_TRUE(eventually([&] { return wakes.load() == 1; }, 1s));  // start's wake

  // A job that bumps the generation and then fails: rolled back, so nothing is sent.
  store->write_sync([](WriteContext& tx) {
    bump_revocation_generation(tx.db());
    return make_error_code(BrokerErrc::internal);
  });
  // One that commits: the notification arrives at once, far sooner than a poll would look.
  const auto committing = std::chrono::steady_clock::now();
  ASSERT_FALSE(store->write_sync([](WriteContext& tx) {
    bump_revocation_generation(tx.db());
    return boost::system::error_code{};
  }));
  ASSERT_TRUE(eventually([&] { return wakes.load() == 2; }, 1500ms));
  EXPECT_LT(std::chrono::steady_clock::now() - committing, 1500ms);
  EXPECT_EQ(listener.notifications(), 1u);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(wakes.load(), 2) << "the rolled-back bump woke the listener";
  listener.stop();
  store->close();
  drain_io();
}

TEST_F(PostgresCoordinationIt, AListenerWhoseSessionIsKilledReconnectsAndWakesOnce) {
  std::atomic<int> wakes{0};
  RevocationListener listener(
      io_, sessions(), [&] { ++wakes; }, 100ms);
  listener.start();
  ASSERT_TRUE(eventually([&] { return wakes.load() == 1; }, 1s));
  terminate("pg_stat_activity",
            "datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()");
  // Lost, reconnected by its thread, and woken once for what it may have missed meanwhile.
  ASSERT_TRUE(eventually([&] { return listener.connections() == 2; }, 2s));
  ASSERT_TRUE(eventually([&] { return wakes.load() == 2; }, 1s));
  EXPECT_TRUE(listener.listening());

  // The new session listens: a notification reaches it.
  auto sender = pg::Connection::connect(url_);
  sender.notify(kRevocationChannel, "7");
  EXPECT_TRUE(eventually([&] { return wakes.load() == 3; }, 1s));
  EXPECT_EQ(listener.notifications(), 1u);
  listener.stop();
  EXPECT_FALSE(listener.listening());
  drain_io();
}

}  // namespace
}  // namespace jit::broker
