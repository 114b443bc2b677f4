// The event outbox and its relay over a real store: an event written in a transaction (as an admin
// command writes it) is handed on once and marked delivered once settled; one whose delivery never
// settled (the broker stopped under it) is handed on again after a restart.
#include "broker/store/event_outbox.hpp"
#include "broker/workers/event_outbox_relay.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <mutex>
#include <vector>

namespace jit::broker {
namespace {

using namespace std::chrono_literals;

class EventOutboxTest : public ::testing::Test {
 protected:
  void enqueue(const std::string& event, const std::string& id) {
    ASSERT_FALSE(store_->write_sync([&](WriteContext& tx) {
      enqueue_event(tx.db(), event, {{"id", id}}, tx.now_seconds());
      return boost::system::error_code{};
    }));
  }

  std::int64_t undelivered() {
    return store_->read([](SQLite::Database& db) {
      return db.execAndGet("SELECT count(*) FROM event_outbox WHERE delivered_at IS NULL")
          .getInt64();
    });
  }

  // Runs a relay for `span`; records what it handed on and settles it when `settle` is true.
  std::vector<OutboxEvent> relay_for(std::chrono::milliseconds span, bool settle) {
    boost::asio::io_context io;
    std::mutex mutex;
    std::vector<OutboxEvent> handed;
    EventOutboxRelay relay(
        io, *store_,
        [&](OutboxEvent event, std::function<void()> settled) {
          {
            std::lock_guard lock(mutex);
            handed.push_back(std::move(event));
          }
          if (settle) settled();
        },
        50ms);
    relay.start();
    io.run_for(span);
    relay.stop();
    return handed;
  }

  jit::testing::TempDir dir_;
  std::unique_ptr<Store> store_ = Store::open(dir_ / "broker.db", jit::testing::test_audit_key());
};

TEST_F(EventOutboxTest, EachEventIsHandedOnOnceInOrderAndMarkedDelivered) {
  enqueue("grant.revoked", "grt-1");
  enqueue("grant.revoked", "grt-2");
  const auto handed = relay_for(400ms, true);
  ASSERT_EQ(handed.size(), 2u);
  EXPECT_EQ(handed[0].event, "grant.revoked");
  EXPECT_EQ(handed[0].data.at("id"), "grt-1");
  EXPECT_EQ(handed[1].data.at("id"), "grt-2");
  EXPECT_LT(handed[0].seq, handed[1].seq);
  EXPECT_GT(handed[0].created_at, 0);
  EXPECT_EQ(undelivered(), 0);
  EXPECT_TRUE(relay_for(200ms, true).empty());  // a restart sends nothing again
}

TEST_F(EventOutboxTest, AnUnsettledEventIsSentAgainAfterARestart) {
  enqueue("grant.revoked", "grt-1");
  EXPECT_EQ(relay_for(300ms, false).size(), 1u);  // handed on once, though polled again
  EXPECT_EQ(undelivered(), 1);
  const auto again = relay_for(300ms, true);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].data.at("id"), "grt-1");
  EXPECT_EQ(undelivered(), 0);
}

}  // namespace
}  // namespace jit::broker
