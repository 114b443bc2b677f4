#include "broker/store/store.hpp"
#include "broker/store/migrations.hpp"
#include "broker/store/store_error.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace jit::broker {
namespace {

using jit::testing::TempDir;

std::int64_t count_rows(Store& store, const std::string& table) {
  return store.read([&](SQLite::Database& db) {
    return db.execAndGet("SELECT count(*) FROM " + table).getInt64();
  });
}

TEST(Store, CreatesSchemaAtLatestVersionWithWalAndFullSync) {
  TempDir dir;
  auto store = Store::open(dir / "broker.db", jit::testing::test_audit_key());
  store->read([](SQLite::Database& db) {
    db::SqliteConnection connection(db);
    EXPECT_EQ(schema_version(connection), latest_schema_version());
    EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
    EXPECT_EQ(db.execAndGet("PRAGMA synchronous").getInt(), 2);  // FULL
    return 0;
  });
}

TEST(Store, MigratesAnOldDatabaseKeepingItsRows) {
  TempDir dir;
  {
    SQLite::Database db((dir / "broker.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db::SqliteConnection connection(db);
    migrate(connection, jit::testing::test_audit_key(), 1);
    ASSERT_EQ(schema_version(connection), 1);
    db.exec(
        "INSERT INTO credentials(user, password_hash, created_at, updated_at) "
        "VALUES ('alice', 'h', 1, 1)");
  }
  auto store = Store::open(dir / "broker.db", jit::testing::test_audit_key());
  EXPECT_EQ(count_rows(*store, "credentials"), 1);
  store->read([](SQLite::Database& db) {
    db::SqliteConnection connection(db);
    EXPECT_EQ(schema_version(connection), latest_schema_version());
    // Version 2 seeded the counters, version 3 the revocation generation.
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM counters WHERE name IN ('ssh_serial', "
                            "'krl_version', 'crl_number', 'revocation_generation')")
                  .getInt(),
              4);
    return 0;
  });
}

TEST(Store, RefusesADatabaseFromANewerSchema) {
  TempDir dir;
  {
    SQLite::Database db((dir / "broker.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = " + std::to_string(latest_schema_version() + 1));
  }
  try {
    Store::open(dir / "broker.db", jit::testing::test_audit_key());
    FAIL() << "a newer schema must be refused";
  } catch (const SchemaError& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this jit-broker understands"),
              std::string::npos);
  }
}

TEST(Store, RefusesAnUnopenableFileWithAClearError) {
  TempDir dir;
  try {
    Store::open(dir / "missing-folder" / "broker.db", jit::testing::test_audit_key());
    FAIL() << "expected StoreOpenError";
  } catch (const StoreOpenError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open database"), std::string::npos);
  }
}

TEST(Store, FailedJobRollsBackAloneAndRestoresTheAuditHead) {
  TempDir dir;
  auto store = Store::open(dir / "broker.db", jit::testing::test_audit_key());
  auto insert_user = [](const char* name, bool fail) {
    return [name, fail](WriteContext& tx) -> boost::system::error_code {
      SQLite::Statement q(tx.sqlite(),
                          "INSERT INTO credentials(user, password_hash, created_at, updated_at) "
                          "VALUES (?, 'h', 1, 1)");
      q.bind(1, name);
      q.exec();
      tx.audit({"admin", "user.enroll", std::string("user/") + name, "{}"});
      if (fail) return BrokerErrc::conflict;
      return {};
    };
  };
  std::atomic<int> done{0};
  boost::system::error_code results[3];
  store->write(insert_user("alice", false), [&](auto ec) {
    results[0] = ec;
    ++done;
  });
  store->write(insert_user("bob", true), [&](auto ec) {
    results[1] = ec;
    ++done;
  });
  store->write(insert_user("carol", false), [&](auto ec) {
    results[2] = ec;
    ++done;
  });
  store->close();
  EXPECT_EQ(done.load(), 3);
  EXPECT_FALSE(results[0]);
  EXPECT_EQ(results[1], BrokerErrc::conflict);
  EXPECT_FALSE(results[2]);
  auto reopened = Store::open(dir / "broker.db", jit::testing::test_audit_key());
  EXPECT_EQ(count_rows(*reopened, "credentials"), 2);
  EXPECT_EQ(count_rows(*reopened, "audit"), 2);
  const auto verification = reopened->read([](broker::db::Connection& db) {
    return verify_audit_chain(db, jit::testing::test_audit_key());
  });
  EXPECT_TRUE(verification.ok) << verification.problem;
  EXPECT_EQ(verification.records, 2);
}

TEST(Store, SqliteErrorInAJobIsReportedNotThrown) {
  TempDir dir;
  auto store = Store::open(dir / "broker.db", jit::testing::test_audit_key());
  const auto ec = store->write_sync([](WriteContext& tx) -> boost::system::error_code {
    tx.db().exec_script("INSERT INTO no_such_table VALUES (1)");
    return {};
  });
  EXPECT_EQ(ec, BrokerErrc::internal);
}

// A bug in a job (an exception other than SQLite's) is rolled back, answered as internal, and
// logged on one line (broker/log.hpp) with what was thrown.
TEST(Store, ThrowingJobIsRolledBackAndLogged) {
  TempDir dir;
  auto store = Store::open(dir / "broker.db", jit::testing::test_audit_key());
  ::testing::internal::CaptureStderr();
  const auto ec = store->write_sync(
      [](WriteContext&) -> boost::system::error_code { throw std::logic_error("job bug"); });
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(ec, BrokerErrc::internal);
  EXPECT_EQ(err,
            "jit-broker: error: store_job_threw error=\"std::logic_error: job bug\" "
            "outcome=\"rolled back\"\n");
}

TEST(Store, ConcurrentWritersAreAllCommittedAndChained) {
  TempDir dir;
  auto store = Store::open(dir / "broker.db", jit::testing::test_audit_key());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto ec = store->write_sync([t, i](WriteContext& tx) -> boost::system::error_code {
          tx.audit({"tester", "test.write", "thread/" + std::to_string(t),
                    "{\"i\":" + std::to_string(i) + "}"});
          return {};
        });
        if (ec) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  const auto verification = store->read([](broker::db::Connection& db) {
    return verify_audit_chain(db, jit::testing::test_audit_key());
  });
  EXPECT_TRUE(verification.ok) << verification.problem;
  EXPECT_EQ(verification.records, kThreads * kPerThread);
}

}  // namespace
}  // namespace jit::broker
