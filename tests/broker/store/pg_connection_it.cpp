// The PostgreSQL layer (broker/store/pg/) against a real PostgreSQL 15 (tests/support
// postgres_server.hpp): parameters and results of every supported type, the errors the broker acts
// on (duplicate, serialization failure, lock timeout, lost connection, wrong password), NOTIFY,
// advisory locks and transactions.
#include "broker/store/pg/pg_connection.hpp"
#include "tests/broker/support/pg_error_of.hpp"
#include "tests/support/postgres_server.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <chrono>
#include <functional>
#include <limits>
#include <optional>
#include <thread>

namespace jit::broker::pg {
namespace {

using testing::PostgresServer;

class PgConnectionIt : public ::testing::Test {
 protected:
  void SetUp() override { database_ = server().create_database(); }
  static PostgresServer& server() { return PostgresServer::shared(); }
  Connection connect() const { return Connection::connect(server().url(database_)); }

  std::string database_;
};

using testing::pg_error_of;

TEST_F(PgConnectionIt, ParametersAndResultsRoundTripEveryType) {
  Connection db = connect();
  db.execute_script(
      "CREATE TABLE kinds (i8 bigint, i4 integer, i2 smallint, b boolean, t text, v varchar(20), "
      "by bytea, f float8)");
  std::vector<std::uint8_t> all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<std::uint8_t>(i));
  const std::int64_t big = std::numeric_limits<std::int64_t>::min();
  const std::string text = "it's \"quoted\"; -- ünïcødé ✓ ' OR 1=1";
  db.execute("INSERT INTO kinds VALUES ($1, $2, $3, $4, $5, $6, $7, 0.5)",
             {big, -7, 300, true, text, "short", Param::bytes(all_bytes)});
  db.execute("INSERT INTO kinds VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
             {std::numeric_limits<std::int64_t>::max(), std::optional<std::int64_t>(), nullptr,
              false, std::optional<std::string>(), "", Param::bytes({})});

  const Result rows = db.execute("SELECT * FROM kinds ORDER BY i8");
  ASSERT_EQ(rows.rows(), 2);
  EXPECT_EQ(rows.get_int64(0, 0), big);
  EXPECT_EQ(rows.get_int64(0, rows.column("i4")), -7);
  EXPECT_EQ(rows.get_int64(0, rows.column("i2")), 300);
  EXPECT_TRUE(rows.get_bool(0, rows.column("b")));
  EXPECT_EQ(rows.get_text(0, rows.column("t")), text);
  EXPECT_EQ(rows.get_text(0, rows.column("v")), "short");
  EXPECT_EQ(rows.get_bytes(0, rows.column("by")), all_bytes);
  EXPECT_EQ(rows.get_double(0, rows.column("f")), 0.5);
  EXPECT_EQ(rows.get_int64(1, 0), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(rows.get_optional_int64(1, 1), std::nullopt);
  EXPECT_TRUE(rows.is_null(1, 2));
  EXPECT_FALSE(rows.get_bool(1, 3));
  EXPECT_EQ(rows.get_optional_text(1, 4), std::nullopt);
  EXPECT_EQ(rows.get_text(1, 5), "");
  EXPECT_TRUE(rows.get_bytes(1, 6).empty());

  // The text that looks like SQL stayed a value: one row matches it exactly.
  EXPECT_EQ(db.execute("SELECT count(*) FROM kinds WHERE t = $1", {text}).get_int64(0, 0), 1);
  EXPECT_EQ(db.execute("UPDATE kinds SET i4 = $1 WHERE b", {9}).affected_rows(), 1);
  // Constant scripts answer in text; the getters read that too.
  const Result text_rows = db.execute_script("SELECT i4, b, by FROM kinds WHERE b");
  EXPECT_EQ(text_rows.get_int64(0, 0), 9);
  EXPECT_TRUE(text_rows.get_bool(0, 1));
  EXPECT_EQ(text_rows.get_bytes(0, 2), all_bytes);
}

TEST_F(PgConnectionIt, GettersCheckRangeTypeAndNull) {
  Connection db = connect();
  const Result row = db.execute("SELECT 1::int8 AS one, NULL::text AS nothing");
  EXPECT_EQ(pg_error_of([&] { row.get_int64(1, 0); }).failure(), Failure::other);
  EXPECT_EQ(pg_error_of([&] { row.get_int64(0, 2); }).failure(), Failure::other);
  EXPECT_EQ(pg_error_of([&] { row.get_int64(0, -1); }).failure(), Failure::other);
  EXPECT_EQ(pg_error_of([&] { row.get_text(0, 0); }).failure(), Failure::other);
  EXPECT_EQ(pg_error_of([&] { row.get_text(0, 1); }).failure(), Failure::other);
  EXPECT_EQ(pg_error_of([&] { row.column("none"); }).failure(), Failure::other);
  EXPECT_EQ(row.get_optional_text(0, row.column("nothing")), std::nullopt);
}

TEST_F(PgConnectionIt, DuplicateKeyIsAConflictAndOtherErrorsAreInternal) {
  Connection db = connect();
  db.execute_script("CREATE TABLE serials (serial text PRIMARY KEY)");
  db.execute("INSERT INTO serials VALUES ($1)", {"42"});
  const Error duplicate =
      pg_error_of([&] { db.execute("INSERT INTO serials VALUES ($1)", {"42"}); });
  EXPECT_EQ(duplicate.failure(), Failure::unique_violation);
  EXPECT_EQ(duplicate.sqlstate(), "23505");
  EXPECT_EQ(duplicate.code(), BrokerErrc::conflict);
  // The primary message only: DETAIL ("Key (serial)=(42) already exists") stays out.
  EXPECT_EQ(std::string(duplicate.what()).find("(42)"), std::string::npos) << duplicate.what();

  const Error missing = pg_error_of([&] { db.execute("SELECT * FROM no_such_table"); });
  EXPECT_EQ(missing.sqlstate(), "42P01");
  EXPECT_EQ(missing.code(), BrokerErrc::internal);
  EXPECT_TRUE(db.ok());  // a failed statement leaves the connection usable
  EXPECT_EQ(db.execute("SELECT count(*) FROM serials").get_int64(0, 0), 1);
}

TEST_F(PgConnectionIt, ConcurrentSerializableWriteSkewIsRetry) {
  Connection a = connect();
  Connection b = connect();
  a.execute_script("CREATE TABLE approvals (request text, approver text)");
  // Both read "no approval yet" and both add one: one of the two must be told to retry.
  Transaction ta(a, Isolation::serializable);
  Transaction tb(b, Isolation::serializable);
  EXPECT_EQ(a.execute("SELECT count(*) FROM approvals WHERE request = $1", {"r1"}).get_int64(0, 0),
            0);
  EXPECT_EQ(b.execute("SELECT count(*) FROM approvals WHERE request = $1", {"r1"}).get_int64(0, 0),
            0);
  a.execute("INSERT INTO approvals VALUES ($1, $2)", {"r1", "carol"});
  // PostgreSQL reports the conflict at the second writer's INSERT or at its COMMIT.
  std::optional<Error> failure;
  try {
    b.execute("INSERT INTO approvals VALUES ($1, $2)", {"r1", "dave"});
  } catch (const Error& e) {
    failure = e;
  }
  ta.commit();
  if (!failure) failure = pg_error_of([&] { tb.commit(); });
  const Error lost = *failure;
  EXPECT_EQ(lost.sqlstate(), "40001");
  EXPECT_TRUE(lost.retryable());
  EXPECT_EQ(lost.code(), BrokerErrc::unavailable);
  EXPECT_EQ(a.execute("SELECT count(*) FROM approvals").get_int64(0, 0), 1);
}

TEST_F(PgConnectionIt, DeadlockIsRetry) {
  // The superuser may shorten deadlock_timeout (1 s by default) for this test's sessions.
  Connection a = Connection::connect(server().admin_url(database_));
  Connection b = Connection::connect(server().admin_url(database_));
  a.execute_script(
      "CREATE TABLE rows_ab (id int8 PRIMARY KEY); INSERT INTO rows_ab VALUES (1), (2)");
  for (Connection* c : {&a, &b}) c->execute_script("SET deadlock_timeout = '50ms'");
  Transaction ta(a, Isolation::read_committed);
  Transaction tb(b, Isolation::read_committed);
  a.execute("SELECT id FROM rows_ab WHERE id = $1 FOR UPDATE", {1});
  b.execute("SELECT id FROM rows_ab WHERE id = $1 FOR UPDATE", {2});
  // a waits for b's row on another thread; b then asks for a's row: one of them is the victim,
  // and rolling the victim back lets the other one through.
  std::optional<Error> failure_a;
  std::thread waiter([&a, &ta, &failure_a] {
    try {
      a.execute("SELECT id FROM rows_ab WHERE id = $1 FOR UPDATE", {2});
    } catch (const Error& e) {
      failure_a = e;
      ta.rollback();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a is waiting by now
  std::optional<Error> failure_b;
  try {
    b.execute("SELECT id FROM rows_ab WHERE id = $1 FOR UPDATE", {1});
  } catch (const Error& e) {
    failure_b = e;
    tb.rollback();
  }
  waiter.join();
  ASSERT_NE(failure_a.has_value(), failure_b.has_value());
  const Error& victim = failure_a ? *failure_a : *failure_b;
  EXPECT_EQ(victim.sqlstate(), "40P01");
  EXPECT_TRUE(victim.retryable());
  EXPECT_EQ(victim.code(), BrokerErrc::unavailable);
}

TEST_F(PgConnectionIt, TransactionsRollBackUnlessCommitted) {
  Connection db = connect();
  db.execute_script("CREATE TABLE grants (id text PRIMARY KEY)");
  {
    Transaction t(db, Isolation::read_committed);
    db.execute("INSERT INTO grants VALUES ($1)", {"g1"});
  }  // no commit: rolled back
  {
    Transaction t(db, Isolation::read_committed);
    db.execute("INSERT INTO grants VALUES ($1)", {"g2"});
    EXPECT_THROW(db.execute("INSERT INTO grants VALUES ($1)", {"g2"}), Error);
    // The server turns COMMIT after a failed statement into ROLLBACK: reported, not hidden.
    EXPECT_EQ(pg_error_of([&] { t.commit(); }).failure(), Failure::other);
  }
  {
    Transaction t(db, Isolation::repeatable_read);
    db.execute("INSERT INTO grants VALUES ($1)", {"g3"});
    t.commit();
  }
  // The server's WARNING ("there is no transaction in progress") stays off stderr, which belongs
  // to the broker's log.
  ::testing::internal::CaptureStderr();
  db.execute_script("ROLLBACK");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  const Result ids = db.execute("SELECT id FROM grants");
  ASSERT_EQ(ids.rows(), 1);
  EXPECT_EQ(ids.get_text(0, 0), "g3");
}

TEST_F(PgConnectionIt, LockedRowTimesOutAsUnavailable) {
  Connection a = connect();
  Connection b = connect();
  a.execute_script("CREATE TABLE requests (id text PRIMARY KEY, state text)");
  a.execute("INSERT INTO requests VALUES ($1, $2)", {"r1", "pending"});
  Transaction ta(a, Isolation::read_committed);
  a.execute("SELECT state FROM requests WHERE id = $1 FOR UPDATE", {"r1"});
  const Error nowait = pg_error_of(
      [&] { b.execute("SELECT state FROM requests WHERE id = $1 FOR UPDATE NOWAIT", {"r1"}); });
  EXPECT_EQ(nowait.sqlstate(), "55P03");
  EXPECT_EQ(nowait.failure(), Failure::timeout);
  b.execute_script("SET statement_timeout = '200ms'");
  const Error waited = pg_error_of([&] {
    b.execute("UPDATE requests SET state = $1 WHERE id = $2", {"x", "r1"});
  });
  EXPECT_EQ(waited.sqlstate(), "57014");
  EXPECT_EQ(waited.code(), BrokerErrc::unavailable);
}

TEST_F(PgConnectionIt, NotifyReachesAListenerAtCommit) {
  Connection listener = connect();
  Connection sender = connect();
  listener.listen("jit_revocations");
  EXPECT_THROW(listener.listen("Bad-Name; DROP"), Error);
  {
    Transaction t(sender, Isolation::read_committed);
    sender.notify("jit_revocations", "generation 7");
    EXPECT_TRUE(listener.take_notifications().empty());  // not before the commit
    t.commit();
  }
  // As the broker will: an Asio descriptor on the connection's socket wakes the io_context when
  // something arrives. (A dup, as the descriptor closes what it owns.)
  boost::asio::io_context io;
  boost::asio::posix::stream_descriptor socket(io, ::dup(listener.socket()));
  std::vector<Notification> received;
  std::function<void()> wait_for_notification = [&] {
    socket.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [&](const boost::system::error_code& ec) {
                        if (ec) return;
                        received = listener.take_notifications();
                        if (received.empty()) wait_for_notification();
                      });
  };
  wait_for_notification();
  io.run_for(std::chrono::seconds(5));
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].channel, "jit_revocations");
  EXPECT_EQ(received[0].payload, "generation 7");
  EXPECT_EQ(received[0].sender_pid, sender.backend_pid());
}

TEST_F(PgConnectionIt, AdvisoryLockHasOneHolderUntilReleasedOrDisconnected) {
  constexpr std::int64_t kSweeperLock = 0x6a69742d737765;
  Connection other = connect();
  {
    Connection leader = connect();
    EXPECT_TRUE(leader.try_advisory_lock(kSweeperLock));
    EXPECT_FALSE(other.try_advisory_lock(kSweeperLock));
    leader.advisory_unlock(kSweeperLock);
    EXPECT_TRUE(other.try_advisory_lock(kSweeperLock));
    EXPECT_FALSE(leader.try_advisory_lock(kSweeperLock));
    other.advisory_unlock(kSweeperLock);
    EXPECT_TRUE(leader.try_advisory_lock(kSweeperLock));
  }  // the leader's connection ends: the server frees its lock
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool taken = false;
  while (!(taken = other.try_advisory_lock(kSweeperLock)) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(taken);
}

TEST_F(PgConnectionIt, WrongPasswordAndBadStringsNeverEchoThePassword) {
  const std::string wrong = "wrong-password-c0ffee";
  const Error refused = pg_error_of(
      [&] { Connection::connect(server().url(database_, PostgresServer::kBrokerRole, wrong)); });
  EXPECT_EQ(refused.failure(), Failure::connection);
  EXPECT_EQ(refused.code(), BrokerErrc::unavailable);
  EXPECT_NE(std::string(refused.what()).find("password authentication failed"), std::string::npos)
      << refused.what();
  EXPECT_EQ(std::string(refused.what()).find(wrong), std::string::npos);

  const Error malformed =
      pg_error_of([&] { Connection::connect("host=127.0.0.1 password=" + wrong + " oops"); });
  EXPECT_EQ(malformed.failure(), Failure::bad_connection_string);
  EXPECT_EQ(std::string(malformed.what()).find(wrong), std::string::npos) << malformed.what();

  const Error bad_port = pg_error_of([&] {
    Connection::connect("postgresql://jit:" + wrong + "@127.0.0.1:1/db?connect_timeout=2");
  });
  EXPECT_EQ(bad_port.failure(), Failure::connection);
  EXPECT_EQ(std::string(bad_port.what()).find(wrong), std::string::npos) << bad_port.what();
}

// Last: it restarts the shared server.
TEST_F(PgConnectionIt, ConnectionLostAtServerRestartIsUnavailableThenReconnects) {
  Connection db = connect();
  db.execute_script("CREATE TABLE t (v int8)");
  db.execute("INSERT INTO t VALUES ($1)", {1});
  server().restart_fast();
  const Error lost = pg_error_of([&] { db.execute("INSERT INTO t VALUES ($1)", {2}); });
  EXPECT_EQ(lost.failure(), Failure::connection) << lost.what();
  EXPECT_EQ(lost.code(), BrokerErrc::unavailable);
  EXPECT_FALSE(db.ok());
  Connection again = connect();
  again.execute("INSERT INTO t VALUES ($1)", {3});
  const Result values = again.execute("SELECT v FROM t ORDER BY v");
  ASSERT_EQ(values.rows(), 2);  // the committed row survived; the failed one never landed
  EXPECT_EQ(values.get_int64(0, 0), 1);
  EXPECT_EQ(values.get_int64(1, 0), 3);
}

}  // namespace
}  // namespace jit::broker::pg
