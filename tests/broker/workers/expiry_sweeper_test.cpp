// The sweeper on a real io_context: at start it ends what ended while the broker was down, and
// its timer wakes at the next deadline (moved clock, real timer).
#include "broker/workers/expiry_sweeper.hpp"
#include "tests/support/access_fixture.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <atomic>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;
using namespace std::chrono_literals;

class ExpirySweeperTest : public ::testing::Test {
 protected:
  // An active one-minute grant of alice; returns its id. The users are enrolled by the first call.
  std::string one_minute_grant(bool enrolled = false) {
    auto alice = enrolled ? f_.relogin("alice") : f_.sign_in("alice");
    if (!enrolled) {
      f_.sign_in("carol");
      f_.sign_in("dave");
    }
    auto created = f_.post("/v1/requests",
                           {{"role", "prod-db-read"},
                            {"reason", "r"},
                            {"ticket", "t"},
                            {"duration", "1m"},
                            {"mfa", f_.mfa("alice")}},
                           alice);
    const std::string id(created.body.at("id").as_string());
    for (const char* approver : {"carol", "dave"}) {
      // In this order: both move the clock, and a code older than the login's is a replay. (As
      // two arguments of one call their order would be the compiler's choice.)
      const auto headers = f_.relogin(approver);
      f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa(approver)}}, headers);
    }
    auto request = f_.get("/v1/requests/" + id, f_.relogin("alice"));
    EXPECT_EQ(request.body.at("state").as_string(), "active");
    return std::string(request.body.at("grant").at("id").as_string());
  }

  std::string grant_state(const std::string& id) {
    return f_.store_->read([&](SQLite::Database& db) {
      return db.execAndGet("SELECT state FROM grants WHERE id = '" + id + "'").getString();
    });
  }

  AccessFixture f_;
};

TEST_F(ExpirySweeperTest, AtStartEndsGrantsThatEndedWhileTheBrokerWasDown) {
  const auto grant = one_minute_grant();
  f_.advance(10min);  // the broker "was down" past the grant's end
  boost::asio::io_context io;
  broker::ExpirySweeper sweeper(io, *f_.access_, [&] { return f_.now_; });
  sweeper.start();
  io.run_for(300ms);
  EXPECT_EQ(grant_state(grant), "expired");
  EXPECT_EQ(f_.audit_count("grant.expire"), 1);
  EXPECT_EQ(f_.event_names().back(), "grant.expired");
  sweeper.stop();
  io.run_for(50ms);
}

TEST_F(ExpirySweeperTest, TimerWakesAtTheGrantsEnd) {
  const auto grant = one_minute_grant();
  const auto not_after = f_.store_->read([&](SQLite::Database& db) {
    return db.execAndGet("SELECT not_after FROM grants WHERE id = '" + grant + "'").getInt64();
  });
  // A clock one second before the end, running at real speed from here.
  const auto started = std::chrono::steady_clock::now();
  const auto base = std::chrono::system_clock::time_point(std::chrono::seconds(not_after - 1));
  auto clock = [&] {
    return base + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                      std::chrono::steady_clock::now() - started);
  };
  f_.now_ = approvals::from_unix_seconds(not_after - 1);
  boost::asio::io_context io;
  broker::ExpirySweeper sweeper(io, *f_.access_, clock);
  sweeper.start();
  io.run_for(300ms);
  EXPECT_EQ(grant_state(grant), "active");
  // The service decides with its own clock; move it past the end as the timer comes due.
  f_.now_ = approvals::from_unix_seconds(not_after);
  io.run_for(1500ms);
  EXPECT_EQ(grant_state(grant), "expired");
  EXPECT_GE(sweeper.sweeps(), 2u);
  sweeper.stop();
  io.run_for(50ms);
}

// Sessions are pruned once past either timeout (issue 14, B9): logins alone must not grow the
// table.
TEST_F(ExpirySweeperTest, SweepDeletesSessionsPastEitherTimeout) {
  f_.sign_in("alice");
  f_.advance(8h + 50min);
  f_.sign_in("bob");
  f_.advance(20min);  // bob idle past 15 min; alice past the absolute 8 h ...
  f_.store_->write_sync([&](broker::WriteContext& tx) {
    // ... though she was seen just now
    SQLite::Statement touch(tx.sqlite(),
                            "UPDATE sessions SET last_seen_at = ? WHERE user = 'alice'");
    touch.bind(1, f_.now_seconds());
    touch.exec();
    return boost::system::error_code{};
  });
  f_.sign_in("carol");  // live
  ASSERT_EQ(f_.count_rows("sessions"), 3);
  boost::asio::io_context io;
  broker::ExpirySweeper sweeper(io, *f_.access_, [&] { return f_.now_; });
  sweeper.start();
  EXPECT_EQ(f_.count_rows("sessions"), 1);
  EXPECT_EQ(f_.store_->read([&](SQLite::Database& db) {
    return db.execAndGet("SELECT user FROM sessions").getString();
  }),
            "carol");
  sweeper.stop();
  io.run_for(50ms);
}

// With several brokers on one database only the leader sweeps (sweeper_leadership.hpp): a follower
// neither sweeps at start nor keeps a timer (it would fire at once, forever, at an overdue
// deadline); once leading and poked it sweeps what fell due at once; stepping down stops it again.
TEST_F(ExpirySweeperTest, OnlySweepsWhileItLeads) {
  const auto first = one_minute_grant();
  f_.advance(10min);
  std::atomic<bool> leading{false};
  boost::asio::io_context io;
  broker::ExpirySweeper sweeper(
      io, *f_.access_, [&] { return f_.now_; }, 30s, [&] { return leading.load(); });
  sweeper.start();
  sweeper.poke();  // a new deadline while following plans nothing either
  io.run_for(300ms);
  EXPECT_EQ(grant_state(first), "active");
  EXPECT_EQ(sweeper.sweeps(), 0u);
  EXPECT_TRUE(io.stopped()) << "a follower keeps no timer";

  io.restart();
  leading = true;
  sweeper.poke();  // what SweeperLeadership's change callback does
  io.run_for(300ms);
  EXPECT_EQ(grant_state(first), "expired");
  EXPECT_EQ(f_.audit_count("grant.expire"), 1);

  const auto second = one_minute_grant(/*enrolled=*/true);
  f_.advance(10min);
  leading = false;
  sweeper.poke();
  io.run_for(300ms);
  EXPECT_EQ(grant_state(second), "active");
  EXPECT_EQ(f_.audit_count("grant.expire"), 1);
  sweeper.stop();
  io.run_for(50ms);
}

}  // namespace
}  // namespace jit::broker
