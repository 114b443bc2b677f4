// The event outbox over a real store: ids are unique and stable, due events are claimed oldest
// first and a claim keeps them from other workers until its lease passes, a round records the URLs
// that accepted and either delivers, reschedules or fails the event (only while its worker still
// holds the claim), claims are released, a failed event can be retried, the backlog counts what
// waits, and a database of schema 6 with waiting events is upgraded with ids for them.
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

constexpr std::int64_t kLeaseUs = 1'000'000;

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
  // claim_due_events as a write job, as the worker runs it on SQLite.
  std::vector<OutboxEvent> claim(std::int64_t now_us, const std::string& claimant = "w1",
                                 std::size_t limit = 100) {
    std::vector<OutboxEvent> rows;
    EXPECT_FALSE(store_->write_sync([&](WriteContext& tx) {
      rows = claim_due_events(tx.db(), claimant, now_us, now_us + kLeaseUs, limit);
      return boost::system::error_code{};
    }));
    return rows;
  }
  bool claimable(std::int64_t now_us) {
    return store_->read(
        [&](broker::db::Connection& db) { return has_claimable_events(db, now_us); });
  }
  bool finish(std::int64_t seq, const AttemptResult& result, const std::string& claimant = "w1") {
    bool recorded = false;
    EXPECT_FALSE(store_->write_sync([&](WriteContext& tx) {
      recorded = finish_attempt(tx.db(), seq, claimant, result, 200);
      return boost::system::error_code{};
    }));
    return recorded;
  }
  std::size_t release(std::optional<std::string> claimant) {
    std::size_t released = 0;
    EXPECT_FALSE(store_->write_sync([&](WriteContext& tx) {
      released = release_event_claims(tx.db(), claimant);
      return boost::system::error_code{};
    }));
    return released;
  }
  OutboxBacklog backlog() {
    return store_->read([](broker::db::Connection& db) { return outbox_backlog(db); });
  }

  jit::testing::TempDir dir_;
  std::unique_ptr<Store> store_ = Store::open(dir_ / "broker.db", jit::testing::test_audit_key());
};

TEST_F(EventOutboxTest, EventsGetUniqueIdsAndAreClaimedOldestFirst) {
  EXPECT_FALSE(claimable(0));
  const auto a = enqueue("request.created", 100);
  const auto b = enqueue("user.locked", 101);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("evt-", 0), 0u);
  EXPECT_EQ(a.size(), 4u + 32u);
  EXPECT_TRUE(claimable(0));
  const auto rows = claim(0);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, a);
  EXPECT_EQ(rows[0].event, "request.created");
  EXPECT_EQ(rows[0].data.at("n").as_string(), "request.created");
  EXPECT_EQ(rows[1].id, b);
  EXPECT_EQ(backlog().undelivered, 2);
  EXPECT_EQ(backlog().oldest_created_at, 100);
}

TEST_F(EventOutboxTest, AClaimKeepsItsEventsFromOtherWorkersUntilTheLeasePasses) {
  for (int i = 0; i < 3; ++i) enqueue("request.created");
  const auto first = claim(0, "w1", 2);  // at most `limit`, oldest first
  ASSERT_EQ(first.size(), 2u);
  EXPECT_LT(first[0].seq, first[1].seq);
  const auto second = claim(10, "w2");  // only the one w1 did not take
  ASSERT_EQ(second.size(), 1u);
  EXPECT_GT(second[0].seq, first[1].seq);
  EXPECT_FALSE(claimable(kLeaseUs - 1));
  EXPECT_TRUE(claim(kLeaseUs - 1, "w2").empty());
  // w1's lease has passed (it died, or hangs): w2 takes its events. w2's own lease (from 10) runs.
  EXPECT_TRUE(claimable(kLeaseUs));
  const auto taken = claim(kLeaseUs, "w2");
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].seq, first[0].seq);
  EXPECT_EQ(taken[0].id, first[0].id);  // the same id: a receiver deduplicates
}

TEST_F(EventOutboxTest, AWorkerThatLostItsClaimRecordsOnlyTheUrlsThatAccepted) {
  enqueue("grant.revoked");
  const auto seq = claim(0, "w1").at(0).seq;
  ASSERT_EQ(claim(kLeaseUs, "w2").size(), 1u);  // w1 too slow: w2 claims and sends
  // w1's round ends now: URL a accepted, and it would mark the event failed. Only the fact that
  // URL a has it is kept; the row stays w2's to record.
  AttemptResult late;
  late.accepted_by = {"url-a"};
  late.give_up = true;
  late.error = "HTTP 500 from b.example";
  EXPECT_FALSE(finish(seq, late, "w1"));
  auto rows = store_->read([](broker::db::Connection& db) { return list_events(db, false, 10); });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].attempts, 0);
  EXPECT_FALSE(rows[0].failed_at);
  EXPECT_EQ(rows[0].last_error, "");
  EXPECT_EQ(rows[0].delivered_to, (std::vector<std::string>{"url-a"}));
  // w2 still holds the claim: its round is recorded and ends the claim.
  AttemptResult retry_later;
  retry_later.next_attempt_us = 5'000'000;
  retry_later.error = "HTTP 503 from b.example";
  EXPECT_TRUE(finish(seq, retry_later, "w2"));
  EXPECT_FALSE(finish(seq, retry_later, "w2"));  // once: the claim ended with it
  EXPECT_TRUE(claim(4'999'999, "w1").empty());   // backing off
  // The next round knows URL a has the event already.
  const auto again = claim(5'000'000, "w1");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 1);
  EXPECT_EQ(again[0].delivered_to, (std::vector<std::string>{"url-a"}));
}

TEST_F(EventOutboxTest, ReleasedClaimsCanBeClaimedAtOnce) {
  for (int i = 0; i < 3; ++i) enqueue("request.created");
  ASSERT_EQ(claim(0, "w1", 1).size(), 1u);
  ASSERT_EQ(claim(0, "w2", 2).size(), 2u);
  EXPECT_EQ(release("w1"), 1u);  // a stopping worker ends its own claims only
  const auto after_stop = claim(1, "w3");
  ASSERT_EQ(after_stop.size(), 1u);
  EXPECT_EQ(release(std::nullopt), 3u);  // the only deliverer's start: every claim is stale
  EXPECT_EQ(claim(2, "w4").size(), 3u);
  // A delivered event's claim ended with its round: nothing of it is released.
  AttemptResult done;
  done.all_delivered = true;
  EXPECT_TRUE(finish(after_stop[0].seq, done, "w4"));
  EXPECT_EQ(release(std::nullopt), 2u);
}

TEST_F(EventOutboxTest, ARoundRecordsItsUrlsThenReschedulesDeliversOrFails) {
  enqueue("grant.revoked");
  const auto seq = claim(0).at(0).seq;
  AttemptResult partly;
  partly.accepted_by = {"url-a"};
  partly.next_attempt_us = 5'000'000;
  partly.error = "HTTP 500 from hooks.example";
  EXPECT_TRUE(finish(seq, partly));
  EXPECT_TRUE(claim(4'999'999).empty());  // backing off
  auto row = claim(5'000'000).at(0);
  EXPECT_EQ(row.attempts, 1);
  EXPECT_EQ(row.delivered_to, (std::vector<std::string>{"url-a"}));
  EXPECT_EQ(row.last_error, "HTTP 500 from hooks.example");

  AttemptResult spent;
  spent.give_up = true;
  spent.error = "transport error from hooks.example";
  EXPECT_TRUE(finish(seq, spent));
  EXPECT_FALSE(claimable(1'000'000'000));
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
  row = claim(6'000'000).at(0);
  EXPECT_EQ(row.attempts, 0);
  EXPECT_EQ(backlog().failed, 0);

  AttemptResult done;
  done.accepted_by = {"url-b"};
  done.all_delivered = true;
  EXPECT_TRUE(finish(seq, done));
  EXPECT_FALSE(claimable(1'000'000'000));
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
  for (const auto& row : claim(0)) EXPECT_TRUE(finish(row.seq, spent));
  EXPECT_EQ(backlog().failed, 3);
  std::size_t retried = 0;
  ASSERT_FALSE(store_->write_sync([&](WriteContext& tx) {
    retried = retry_failed_events(tx.db());
    return boost::system::error_code{};
  }));
  EXPECT_EQ(retried, 3u);
  EXPECT_EQ(claim(0).size(), 3u);
}

TEST_F(EventOutboxTest, PruningDeletesOnlyOldDeliveredEventsAndNeverTheNewest) {
  for (int i = 0; i < 5; ++i) enqueue("request.created");
  const auto rows = claim(0);
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
  EXPECT_GT(claim(0).back().seq, rows[4].seq);
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
  std::vector<OutboxEvent> rows;
  ASSERT_FALSE(store->write_sync([&](WriteContext& tx) {
    rows = claim_due_events(tx.db(), "w1", 0, kLeaseUs, 10);
    return boost::system::error_code{};
  }));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id.size(), 4u + 32u);
  EXPECT_NE(rows[0].id, rows[1].id);
}

}  // namespace
}  // namespace jit::broker
