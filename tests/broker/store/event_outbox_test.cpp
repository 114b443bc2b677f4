// The event outbox over a real store: ids are unique and stable, due events come oldest first
// without those in flight, a round records the URLs that accepted and either delivers, reschedules
// or fails the event, a failed event can be retried, the backlog counts what waits, and a database
// of schema 6 with waiting events is upgraded with ids for them.
#include "broker/store/event_outbox.hpp"
#include "broker/store/db/sqlite_connection.hpp"
#include "broker/store/migrations.hpp"
#include "broker/store/store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <gtest/gtest.h>

#include <set>

namespace jit::broker {
namespace {

class EventOutboxTest : public ::testing::Test {
 protected:
  std::string enqueue(const std::string& event, std::int64_t now = 100) {
    std::string id;
    EXPECT_FALSE(store_->write_sync([&](WriteContext& tx) {
      id = enqueue_event(tx.db(), event, {{"n", event}}, now);
      return boost::system::error_code{};
    }));
    return id;
  }
  std::vector<OutboxEvent> due(std::int64_t now_us, std::vector<std::int64_t> skip = {}) {
    return store_->read(
        [&](broker::db::Connection& db) { return due_events(db, now_us, skip, 100); });
  }
  void finish(std::int64_t seq, const AttemptResult& result) {
    ASSERT_FALSE(store_->write_sync([&](WriteContext& tx) {
      finish_attempt(tx.db(), seq, result, 200);
      return boost::system::error_code{};
    }));
  }
  OutboxBacklog backlog() {
    return store_->read([](broker::db::Connection& db) { return outbox_backlog(db); });
  }

  jit::testing::TempDir dir_;
  std::unique_ptr<Store> store_ = Store::open(dir_ / "broker.db", jit::testing::test_audit_key());
};

TEST_F(EventOutboxTest, EventsGetUniqueIdsAndComeDueOldestFirst) {
  const auto a = enqueue("request.created", 100);
  const auto b = enqueue("user.locked", 101);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("evt-", 0), 0u);
  EXPECT_EQ(a.size(), 4u + 32u);
  const auto rows = due(0);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, a);
  EXPECT_EQ(rows[0].event, "request.created");
  EXPECT_EQ(rows[0].data.at("n").as_string(), "request.created");
  EXPECT_EQ(rows[1].id, b);
  // In flight: skipped.
  EXPECT_EQ(due(0, {rows[0].seq}).size(), 1u);
  EXPECT_EQ(backlog().undelivered, 2);
  EXPECT_EQ(backlog().oldest_created_at, 100);
}

TEST_F(EventOutboxTest, ARoundRecordsItsUrlsThenReschedulesDeliversOrFails) {
  enqueue("grant.revoked");
  const auto seq = due(0).at(0).seq;
  AttemptResult partly;
  partly.accepted_by = {"url-a"};
  partly.next_attempt_us = 5'000'000;
  partly.error = "HTTP 500 from hooks.example";
  finish(seq, partly);
  EXPECT_TRUE(due(4'999'999).empty());  // backing off
  auto row = due(5'000'000).at(0);
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.delivered_to, (std::vector<std::string>{"url-a"}));
  EXPECT_EQ(row.last_error, "HTTP 500 from hooks.example");

  AttemptResult spent;
  spent.give_up = true;
  spent.error = "transport error from hooks.example";
  finish(seq, spent);
  EXPECT_TRUE(due(1'000'000'000).empty());
  EXPECT_EQ(backlog().failed, 1);
  auto failed = store_->read([](broker::db::Connection& db) { return list_events(db, true, 10); });
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].attempts, 2);

  // Retried by id: due at once with fresh attempts; an unknown id retries nothing.
  ASSERT_FALSE(store_->write_sync([&](WriteContext& tx) {
    EXPECT_FALSE(retry_event(tx.db(), "evt-none"));
    EXPECT_TRUE(retry_event(tx.db(), failed[0].id));
    return boost::system::error_code{};
  }));
  row = due(0).at(0);
  EXPECT_EQ(row.attempts, 0);
  EXPECT_EQ(backlog().failed, 0);

  AttemptResult done;
  done.accepted_by = {"url-b"};
  done.all_delivered = true;
  finish(seq, done);
  EXPECT_TRUE(due(1'000'000'000).empty());
  EXPECT_EQ(backlog().undelivered, 0);
  EXPECT_FALSE(backlog().oldest_created_at);
  const auto all =
      store_->read([](broker::db::Connection& db) { return list_events(db, false, 10); });
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].delivered_at, 200);
  EXPECT_EQ(std::set<std::string>(all[0].delivered_to.begin(), all[0].delivered_to.end()),
            (std::set<std::string>{"url-a", "url-b"}));
}

TEST_F(EventOutboxTest, RetryAllFailedCountsThem) {
  for (int i = 0; i < 3; ++i) enqueue("breakglass");
  AttemptResult spent;
  spent.give_up = true;
  for (const auto& row : due(0)) finish(row.seq, spent);
  EXPECT_EQ(backlog().failed, 3);
  std::size_t retried = 0;
  ASSERT_FALSE(store_->write_sync([&](WriteContext& tx) {
    retried = retry_failed_events(tx.db());
    return boost::system::error_code{};
  }));
  EXPECT_EQ(retried, 3u);
  EXPECT_EQ(due(0).size(), 3u);
}

TEST_F(EventOutboxTest, PruningDeletesOnlyOldDeliveredEventsAndNeverTheNewest) {
  for (int i = 0; i < 5; ++i) enqueue("request.created");
  const auto rows = due(0);
  ASSERT_EQ(rows.size(), 5u);
  AttemptResult delivered;
  delivered.all_delivered = true;
  delivered.accepted_by = {"digest-a"};
  AttemptResult spent;
  spent.give_up = true;
  finish(rows[0].seq, delivered);  // delivered at 200 (see finish())
  finish(rows[1].seq, spent);      // failed: kept for `events retry`
  finish(rows[2].seq, delivered);
  // rows[3] waits; rows[4], the newest, is delivered but must stay so seq never goes back.
  finish(rows[4].seq, delivered);
  auto prune = [&](std::int64_t before, std::size_t limit) {
    std::size_t deleted = 0;
    EXPECT_FALSE(store_->write_sync([&](WriteContext& tx) {
      deleted = prune_delivered_events(tx.db(), before, limit);
      return boost::system::error_code{};
    }));
    return deleted;
  };
  EXPECT_EQ(prune(200, 100), 0u);  // delivered at 200 is not before 200
  EXPECT_EQ(prune(201, 1), 1u);    // bounded batch
  EXPECT_EQ(prune(201, 100), 1u);
  EXPECT_EQ(prune(201, 100), 0u);
  std::set<std::int64_t> left;
  for (const auto& row :
       store_->read([](broker::db::Connection& db) { return list_events(db, false, 100); })) {
    left.insert(row.seq);
  }
  EXPECT_EQ(left, (std::set<std::int64_t>{rows[1].seq, rows[3].seq, rows[4].seq}));
  const auto deliveries = store_->read([](SQLite::Database& db) {
    return db.execAndGet("SELECT count(*) FROM event_deliveries").getInt64();
  });
  EXPECT_EQ(deliveries, 1);  // only the newest row's record is left
  // A new event after pruning gets a higher seq than every one before.
  enqueue("request.approved");
  EXPECT_GT(due(0).back().seq, rows[4].seq);
}

TEST(EventOutboxMigrationTest, WaitingEventsOfAnOlderDatabaseGetIdsAndAreDue) {
  jit::testing::TempDir dir;
  {
    auto db = open_connection(dir / "broker.db", true);
    db::SqliteConnection connection(*db);
    migrate(connection, jit::testing::test_audit_key(), 6);
    db->exec("INSERT INTO event_outbox(event, data, created_at) VALUES ('grant.revoked', '{}', 1)");
    db->exec("INSERT INTO event_outbox(event, data, created_at) VALUES ('grant.revoked', '{}', 2)");
  }
  auto store = Store::open(dir / "broker.db", jit::testing::test_audit_key());
  const auto rows =
      store->read([](broker::db::Connection& db) { return due_events(db, 0, {}, 10); });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id.size(), 4u + 32u);
  EXPECT_NE(rows[0].id, rows[1].id);
}

}  // namespace
}  // namespace jit::broker
