// Delivery claims on a real PostgreSQL 15 (docs/architecture.md, "Events"): two brokers claiming at
// the same moment take disjoint events and neither waits for the other (FOR UPDATE SKIP LOCKED),
// also while a write batch holds an event's row to record its round; and the claim is one
// statement on a connection of its own, so it never waits for the audit chain lock that write
// batches hold.
#include "broker/store/db/postgres_connection.hpp"
#include "broker/store/event_outbox.hpp"
#include "broker/store/store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/test_audit_key.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

namespace jit::broker {
namespace {

using jit::testing::PostgresServer;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kLeaseUs = 60'000'000;

class OutboxClaimsPostgresIt : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresServer::shared().url(PostgresServer::shared().create_database());
    store_ = Store::open_postgresql(url_, jit::testing::test_audit_key());
    ASSERT_FALSE(store_->write_sync([](WriteContext& tx) {
      for (int i = 0; i < 5; ++i) enqueue_event(tx.db(), "request.created", {{"n", i}}, 10);
      return boost::system::error_code{};
    }));
  }
  // A connection that gives up on a row lock after 2 s: a claim that waited would fail the test
  // instead of hanging it.
  std::unique_ptr<db::PostgresConnection> impatient_connection() const {
    auto connection = db::PostgresConnection::connect(url_);
    connection->exec_script("SET lock_timeout = '2s'");
    return connection;
  }
  static std::set<std::int64_t> seqs(const std::vector<OutboxEvent>& rows) {
    std::set<std::int64_t> out;
    for (const auto& row : rows) out.insert(row.seq);
    return out;
  }

  std::string url_;
  std::unique_ptr<Store> store_;
};

TEST_F(OutboxClaimsPostgresIt, ClaimsAtTheSameTimeTakeDisjointEventsWithoutWaiting) {
  auto first = db::PostgresConnection::connect(url_);
  auto second = impatient_connection();
  // The first broker's claim has locked its two rows and not committed yet.
  db::Transaction in_progress(*first);
  const auto mine = claim_due_events(*first, "broker-a", 0, kLeaseUs, 2);
  ASSERT_EQ(mine.size(), 2u);
  const auto started = Clock::now();
  const auto theirs = claim_due_events(*second, "broker-b", 0, kLeaseUs, 10);
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(1));
  ASSERT_EQ(theirs.size(), 3u);  // the three the first did not lock
  for (const auto seq : seqs(mine)) EXPECT_EQ(seqs(theirs).count(seq), 0u);
  in_progress.commit();
  // Every event is claimed now, by one broker each.
  EXPECT_TRUE(claim_due_events(*second, "broker-b", 0, kLeaseUs, 10).empty());
  db::Statement owners(*second,
                       "SELECT claimed_by, count(*) FROM event_outbox GROUP BY claimed_by "
                       "ORDER BY claimed_by");
  ASSERT_TRUE(owners.step());
  EXPECT_EQ(owners.get_text(0), "broker-a");
  EXPECT_EQ(owners.get_int64(1), 2);
  ASSERT_TRUE(owners.step());
  EXPECT_EQ(owners.get_text(0), "broker-b");
  EXPECT_EQ(owners.get_int64(1), 3);
  EXPECT_FALSE(owners.step());
}

TEST_F(OutboxClaimsPostgresIt, ARoundBeingRecordedIsSkippedAndTheAuditLockIsNotAwaited) {
  auto claimer = impatient_connection();
  const auto claimed = claim_due_events(*claimer, "broker-a", 0, 1, 5);  // a lease of 1 us
  ASSERT_EQ(claimed.size(), 5u);
  // Another broker's write batch: it holds the audit chain's lock (every batch takes it) and is
  // recording broker-a's round of the oldest event, whose lease has just passed.
  auto batch = db::PostgresConnection::connect(url_);
  db::Transaction batch_transaction(*batch);
  lock_audit_chain(*batch);
  AttemptResult result;
  result.next_attempt_us = 0;  // due again at once
  ASSERT_TRUE(finish_attempt(*batch, claimed[0].seq, "broker-a", result, 20));
  // A claim now neither waits for that batch's row lock nor for the audit lock: it takes the
  // other four, whose leases have passed.
  const auto started = Clock::now();
  const auto taken = claim_due_events(*claimer, "broker-b", 2, kLeaseUs, 10);
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(1));
  EXPECT_EQ(taken.size(), 4u);
  EXPECT_EQ(seqs(taken).count(claimed[0].seq), 0u);
  batch_transaction.commit();
  // Recorded and due again: claimed next time.
  const auto next = claim_due_events(*claimer, "broker-b", 3, kLeaseUs, 10);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].seq, claimed[0].seq);
  EXPECT_EQ(next[0].attempts, 1);
}

}  // namespace
}  // namespace jit::broker
