// The store on both backends (docs/architecture.md, "Store backends (SQLite and PostgreSQL)"):
// migrations, the write path with savepoints and the audit chain, and the queries of
// broker/store/ and broker/auth/credential_store, each run once on SQLite and once on a real
// PostgreSQL 15 (tests/support/postgres_server.hpp).
#include "broker/auth/credential_store.hpp"
#include "broker/store/access_records.hpp"
#include "broker/store/audit_stream_positions.hpp"
#include "broker/store/db/postgres_connection.hpp"
#include "broker/store/event_outbox.hpp"
#include "broker/store/migrations.hpp"
#include "broker/store/store.hpp"
#include "broker/store/store_error.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace jit::broker {
namespace {

using approvals::GrantState;
using approvals::RequestState;
using jit::testing::PostgresServer;

class StoreBackendsIt : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == db::Backend::postgresql) {
      url_ = PostgresServer::shared().url(PostgresServer::shared().create_database());
    }
    store_ = open_store();
  }
  std::unique_ptr<Store> open_store() {
    if (GetParam() == db::Backend::sqlite) {
      return Store::open(temp_ / "broker.db", jit::testing::test_audit_key());
    }
    return Store::open_postgresql(url_, jit::testing::test_audit_key());
  }
  boost::system::error_code write(const Store::WriteJob& job) { return store_->write_sync(job); }
  RequestRow request(const std::string& requester, const std::string& role, std::int64_t at) {
    RequestRow row;
    row.id = new_request_id();
    row.requester = requester;
    row.role = role;
    row.reason = "deploy";
    row.ticket = "T-1";
    row.duration_s = 3600;
    row.created_at = at;
    row.pending_deadline = at + 600;
    return row;
  }

  jit::testing::TempDir temp_;
  std::string url_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreBackendsIt, NewDatabaseIsAtTheLatestSchemaAndReopensUnchanged) {
  EXPECT_EQ(store_->read([](db::Connection& db) { return schema_version(db); }),
            latest_schema_version());
  ASSERT_FALSE(write([](WriteContext& tx) {
    tx.audit({"alice", "request.create", "request/a", "{}"});
    return boost::system::error_code{};
  }));
  store_.reset();
  store_ = open_store();
  EXPECT_EQ(store_->read([](db::Connection& db) { return schema_version(db); }),
            latest_schema_version());
  const auto verified = store_->read(
      [](db::Connection& db) { return verify_audit_chain(db, jit::testing::test_audit_key()); });
  EXPECT_TRUE(verified.ok) << verified.problem;
  EXPECT_EQ(verified.records, 1);
}

TEST_P(StoreBackendsIt, DatabaseOfANewerSchemaIsRefusedUntouched) {
  store_.reset();
  {
    std::unique_ptr<db::Connection> db;
    if (GetParam() == db::Backend::sqlite) {
      db = std::make_unique<db::SqliteConnection>(open_connection(temp_ / "broker.db", true));
      db->exec_script("PRAGMA user_version = " + std::to_string(latest_schema_version() + 1));
    } else {
      db = db::PostgresConnection::connect(url_);
      db->exec_script("UPDATE jitbroker_schema SET version = " +
                      std::to_string(latest_schema_version() + 1));
    }
  }
  try {
    open_store();
    FAIL() << "a newer schema was opened";
  } catch (const SchemaError& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this jit-broker understands"),
              std::string::npos)
        << e.what();
  }
}

TEST_P(StoreBackendsIt, AFailedJobRollsBackOnlyItselfAndItsAuditRecord) {
  std::vector<boost::system::error_code> results(3);
  std::mutex mutex;
  std::condition_variable done;
  int finished = 0;
  for (int i = 0; i < 3; ++i) {
    store_->write(
        [i](WriteContext& tx) -> boost::system::error_code {
          tx.audit({"alice", "job", "job/" + std::to_string(i), "{}"});
          db::Statement insert(tx.db(), "INSERT INTO counters(name, value) VALUES (?, ?)");
          insert.bind(1, "job-" + std::to_string(i));
          insert.bind(2, i);
          insert.exec();
          if (i == 1) return BrokerErrc::conflict;
          return {};
        },
        [&, i](boost::system::error_code ec) {
          std::lock_guard lock(mutex);
          results[static_cast<std::size_t>(i)] = ec;
          ++finished;
          done.notify_one();
        });
  }
  {
    std::unique_lock lock(mutex);
    done.wait(lock, [&] { return finished == 3; });
  }
  EXPECT_FALSE(results[0]);
  EXPECT_EQ(results[1], BrokerErrc::conflict);
  EXPECT_FALSE(results[2]);
  EXPECT_EQ(store_->read([](db::Connection& db) { return stored_counter(db, "job-2"); }), 2);
  EXPECT_THROW(store_->read([](db::Connection& db) { return stored_counter(db, "job-1"); }),
               std::runtime_error);
  const auto verified = store_->read(
      [](db::Connection& db) { return verify_audit_chain(db, jit::testing::test_audit_key()); });
  EXPECT_TRUE(verified.ok) << verified.problem;
  EXPECT_EQ(verified.records, 2);
  // A duplicate key is internal unless the job handles it, on both backends.
  EXPECT_EQ(write([](WriteContext& tx) {
              tx.db().exec_script("INSERT INTO counters(name, value) VALUES ('job-0', 9)");
              return boost::system::error_code{};
            }),
            BrokerErrc::internal);
}

TEST_P(StoreBackendsIt, RequestsGrantsCertificatesAndCounters) {
  const RequestRow pending = request("alice", "db-read", 1000);
  const RequestRow other = request("alice", "db-write", 1001);
  GrantRow grant;
  grant.id = new_grant_id();
  grant.request_id = other.id;
  grant.user = "alice";
  grant.role = "db-write";
  grant.not_before = 1001;
  grant.not_after = 4601;
  ASSERT_FALSE(write([&](WriteContext& tx) {
    insert_request(tx.db(), pending);
    insert_request(tx.db(), other);
    insert_review(tx.db(), other.id, {"bob", approvals::ReviewDecision::approve, "ok", 1001, "{}"});
    set_request_state(tx.db(), other.id, RequestState::active);
    insert_grant(tx.db(), grant);
    insert_certificate(tx.db(),
                       {"ssh", "7", grant.id, "SHA256:ca", "SHA256:key", "id", 4601, 1002});
    raise_counter(tx.db(), "ssh_serial", 7);
    raise_counter(tx.db(), "ssh_serial", 3);  // never goes back
    return boost::system::error_code{};
  }));
  store_->read([&](db::Connection& db) {
    const auto found = find_request(db, pending.id);
    EXPECT_TRUE(found);
    if (found) {
      EXPECT_EQ(found->requester, "alice");
      EXPECT_EQ(found->state, RequestState::pending);
      EXPECT_FALSE(found->breakglass);
      EXPECT_EQ(found->reviewed_by, std::nullopt);
    }
    EXPECT_EQ(find_reviews(db, other.id).size(), 1u);
    const auto counts = count_pending(db, "alice", "db-read", 1100);
    EXPECT_EQ(counts.for_role, 1u);
    EXPECT_EQ(counts.in_all, 1u);
    GrantFilter of_alice;
    of_alice.user = "alice";
    const auto grants = list_grants(db, of_alice);
    EXPECT_EQ(grants.size(), 1u);
    EXPECT_EQ(find_grant_for_request(db, other.id)->id, grant.id);
    RequestFilter all;
    EXPECT_EQ(list_requests(db, all).size(), 2u);
    EXPECT_EQ(stored_counter(db, "ssh_serial"), 7);
    EXPECT_EQ(next_deadline(db), 1600);
    return 0;
  });
  ASSERT_FALSE(write([&](WriteContext& tx) {
    EXPECT_EQ(reserve_counter(tx.db(), "ssh_serial", 2), 8);
    EXPECT_EQ(end_grant(tx.db(), grant.id, GrantState::revoked, 2000, "revoked"), 1);
    return boost::system::error_code{};
  }));
  store_->read([&](db::Connection& db) {
    EXPECT_EQ(find_grant(db, grant.id)->state, GrantState::revoked);
    EXPECT_EQ(stored_counter(db, "ssh_serial"), 9);
    EXPECT_GE(revocation_generation(db), 1);
    return 0;
  });
}

TEST_P(StoreBackendsIt, CredentialsOfTheReservedWordUser) {
  const ca::Bytes sealed{std::byte{1}, std::byte{0}, std::byte{0xff}};
  ASSERT_FALSE(write([&](WriteContext& tx) {
    upsert_credentials(tx, "alice", "hash", sealed);
    upsert_credentials(tx, "bob", "hash-b", {});
    record_totp_step(tx, "alice", 50);
    record_totp_step(tx, "alice", 40);  // monotonic
    record_source_failure(tx, "alice", "192.0.2.7", 2, 0, 100);
    return boost::system::error_code{};
  }));
  store_->read([&](db::Connection& db) {
    const auto alice = find_credentials(db, "alice");
    EXPECT_TRUE(alice);
    if (alice) {
      EXPECT_EQ(alice->user, "alice");
      EXPECT_EQ(alice->sealed_totp_secret, sealed);
      EXPECT_EQ(alice->totp_last_step, 50);
    }
    EXPECT_FALSE(find_credentials(db, "carol"));
    EXPECT_EQ(find_source_failures(db, "alice", "192.0.2.7").failures, 2);
    return 0;
  });
}

TEST_P(StoreBackendsIt, EventOutboxAndAuditStreamPositions) {
  std::string id;
  ASSERT_FALSE(write([&](WriteContext& tx) {
    id = enqueue_event(tx.db(), "grant.revoked", {{"grant", "g"}}, 10);
    save_audit_stream_position(tx.db(), "file:/x", 5, 10);
    save_audit_stream_position(tx.db(), "file:/x", 3, 11);  // never goes back
    return boost::system::error_code{};
  }));
  // Claimed as the delivery worker does: on PostgreSQL a statement of its own on a read
  // connection, on SQLite a write job.
  auto claim = [&](const std::string& claimant, std::int64_t now_us) {
    auto run = [&](db::Connection& db) {
      return claim_due_events(db, claimant, now_us, now_us + 1'000'000, 10);
    };
    if (GetParam() == db::Backend::postgresql) return store_->read(run);
    std::vector<OutboxEvent> rows;
    EXPECT_FALSE(write([&](WriteContext& tx) {
      rows = run(tx.db());
      return boost::system::error_code{};
    }));
    return rows;
  };
  const auto due = claim("w1", 0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, id);
  EXPECT_EQ(due[0].data.at("grant").as_string(), "g");
  EXPECT_TRUE(claim("w2", 999'999).empty());     // w1's claim holds
  ASSERT_EQ(claim("w2", 1'000'000).size(), 1u);  // and passes with its lease
  ASSERT_FALSE(write([&](WriteContext& tx) {
    AttemptResult result;
    result.accepted_by = {"digest-a"};
    result.all_delivered = true;
    EXPECT_FALSE(finish_attempt(tx.db(), due[0].seq, "w1", result, 19));  // lost its claim
    EXPECT_TRUE(finish_attempt(tx.db(), due[0].seq, "w2", result, 20));
    // The same URL again: recorded once.
    EXPECT_FALSE(finish_attempt(tx.db(), due[0].seq, "w2", result, 21));
    return boost::system::error_code{};
  }));
  store_->read([](db::Connection& db) {
    EXPECT_FALSE(has_claimable_events(db, 0));
    const auto rows = list_events(db, false, 10);
    EXPECT_EQ(rows.at(0).delivered_at, 20);
    EXPECT_EQ(rows.at(0).attempts, 1);
    EXPECT_EQ(rows.at(0).delivered_to, std::vector<std::string>{"digest-a"});
    EXPECT_EQ(outbox_backlog(db).undelivered, 0);
    EXPECT_EQ(audit_stream_position(db, "file:/x"), 5);
    return 0;
  });
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreBackendsIt,
                         ::testing::Values(db::Backend::sqlite, db::Backend::postgresql),
                         [](const ::testing::TestParamInfo<db::Backend>& info) {
                           return info.param == db::Backend::sqlite ? "sqlite" : "postgresql";
                         });

}  // namespace
}  // namespace jit::broker
