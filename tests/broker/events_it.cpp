// Events are never lost (docs/architecture.md, "Events"), with a real `jit-broker serve`, its admin
// commands run beside it as separate processes, and HTTP receivers on loopback: an event a
// `user lock` writes is delivered, signed, within seconds; a broker killed with SIGKILL while its
// receiver refuses delivers every pending event after the restart (ids unique, none lost); bad
// receivers (hanging, huge answers, 500s) never hold up the API and are retried; events whose
// attempts are spent are listed, counted in /metrics and sent again after `events retry`.
#include "tests/support/broker_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/files.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/running_broker.hpp"
#include "tests/support/webhook_check.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <set>
#include <thread>

namespace jit::broker {
namespace {

using jit::testing::eventually;

using namespace jit::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kEventsSecret = "events-it-secret-0123456789";

// The ids of the requests a receiver answered from `from` on, each checked as a genuine, fresh
// delivery signed with kEventsSecret.
std::set<std::string> signed_ids(const HttpReceiver& receiver, std::size_t from = 0) {
  std::set<std::string> ids;
  const auto requests = receiver.requests();
  for (std::size_t i = from; i < requests.size(); ++i) {
    EXPECT_EQ(webhook_problem(requests[i], kEventsSecret, unix_now()), "") << requests[i].body;
    const auto body = boost::json::parse(requests[i].body).as_object();
    EXPECT_EQ(body.at("id").as_string(), requests[i].headers.at("x-jit-event-id"));
    ids.insert(requests[i].headers.at("x-jit-event-id"));
  }
  return ids;
}

class EventsTest : public ::testing::Test {
 protected:
  EventsTest() {
    write_text(secret_dir_ / "hook.secret", std::string(kEventsSecret) + "\n");
    std::filesystem::permissions(
        secret_dir_ / "hook.secret",
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  std::string webhooks_yaml(const HttpReceiver& receiver, int max_attempts) const {
    return "webhooks:\n  timeout: 1s\n  max_attempts: " + std::to_string(max_attempts) +
           "\n  urls:\n    - url: http://127.0.0.1:" + std::to_string(receiver.port()) +
           "/hook\n      secret_file: " + (secret_dir_ / "hook.secret").string() + "\n";
  }
  static std::int64_t count(const std::filesystem::path& database, const std::string& sql) {
    SQLite::Database db(database.string(), SQLite::OPEN_READONLY);
    return db.execAndGet(sql).getInt64();
  }

  TempDir secret_dir_;
};

TEST_F(EventsTest, KilledWhilePendingDeliversEveryEventAfterTheRestart) {
  HttpReceiver receiver({500});
  BrokerProcess broker(test_policy(), {"127.0.0.1:0", "data", webhooks_yaml(receiver, 100)});
  for (const char* user : {"alice", "bob", "carol"}) broker.enroll(user);
  broker.start();
  for (const char* user : {"alice", "bob", "carol"}) {
    auto [code, out, err] = broker.admin({"user", "lock", user});
    ASSERT_EQ(code, 0) << err;
  }
  // Each event tried and refused at least once: pending when the broker dies.
  ASSERT_TRUE(eventually([&] { return signed_ids(receiver).size() == 3; }, 10s));
  broker.kill();
  const auto undelivered = "SELECT count(*) FROM event_outbox WHERE delivered_at IS NULL";
  ASSERT_EQ(count(broker.database(), undelivered), 3);
  const auto before = signed_ids(receiver);

  receiver.answer_with({200});
  const auto switched = receiver.requests().size();
  broker.start();
  EXPECT_TRUE(eventually([&] { return signed_ids(receiver, switched).size() == 3; }, 15s));
  EXPECT_EQ(signed_ids(receiver, switched), before);  // the same ids: a receiver deduplicates
  EXPECT_TRUE(eventually([&] { return count(broker.database(), undelivered) == 0; }, 5s));
  EXPECT_EQ(
      count(broker.database(), "SELECT count(*) FROM event_outbox WHERE event = 'user.locked'"), 3);
}

TEST_F(EventsTest, AnAdminCommandsEventIsDeliveredWithinSeconds) {
  HttpReceiver receiver({200});
  BrokerProcess broker(test_policy(), {"127.0.0.1:0", "data", webhooks_yaml(receiver, 5)});
  broker.enroll("alice");
  broker.start();
  auto [code, out, err] = broker.admin({"user", "lock", "alice"});
  ASSERT_EQ(code, 0) << err;
  const auto locked = Clock::now();
  ASSERT_TRUE(eventually([&] { return signed_ids(receiver).size() == 1; }, 5s));
  EXPECT_LT(Clock::now() - locked, 2s);
  const auto body = boost::json::parse(receiver.requests().at(0).body).as_object();
  EXPECT_EQ(body.at("event").as_string(), "user.locked");
  EXPECT_EQ(body.at("data").at("user").as_string(), "alice");
}

TEST_F(EventsTest, BadReceiversNeverHoldUpTheApiAndAreRetried) {
  HttpReceiver receiver({HttpReceiver::kHang, HttpReceiver::kHugeBody, 500, 200});
  RunningBroker broker(test_policy(), webhooks_yaml(receiver, 10), {"alice", "bob"});
  for (const char* user : {"alice", "bob"}) {
    auto [code, out, err] =
        ChildProcess::run({broker_binary(), "--config", (broker.dir() / "broker.yaml").string(),
                           "user", "lock", user},
                          broker.dir());
    ASSERT_EQ(code, 0) << err;
  }
  // While the receiver hangs or floods, the API answers at once.
  ASSERT_TRUE(eventually([&] { return !receiver.requests().empty(); }, 5s));
  for (int i = 0; i < 5; ++i) {
    const auto asked = Clock::now();
    EXPECT_TRUE(broker.healthy());
    EXPECT_LT(Clock::now() - asked, 500ms);
  }
  EXPECT_TRUE(eventually(
      [&] {
        return broker.count("SELECT count(*) FROM event_outbox WHERE delivered_at IS NULL") == 0;
      },
      20s));
  EXPECT_EQ(signed_ids(receiver).size(), 2u);
  EXPECT_GE(receiver.requests().size(), 4u);
}

TEST_F(EventsTest, FailedEventsAreListedCountedAndRetried) {
  HttpReceiver receiver({500});
  RunningBroker broker(test_policy(), webhooks_yaml(receiver, 1), {"alice"});
  const auto config = (broker.dir() / "broker.yaml").string();
  auto admin = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {broker_binary(), "--config", config});
    return ChildProcess::run(args, broker.dir());
  };
  ASSERT_EQ(std::get<0>(admin({"user", "lock", "alice"})), 0);
  ASSERT_TRUE(eventually(
      [&] {
        return broker.count("SELECT count(*) FROM event_outbox WHERE failed_at IS NOT NULL") == 1;
      },
      5s));
  const auto id = *signed_ids(receiver).begin();
  auto [list_code, listed, list_err] = admin({"events", "list", "--failed"});
  ASSERT_EQ(list_code, 0) << list_err;
  EXPECT_NE(listed.find(id + "  user.locked"), std::string::npos) << listed;
  EXPECT_NE(listed.find("failed  attempts=1  HTTP 500 from 127.0.0.1"), std::string::npos)
      << listed;
  const auto metrics = broker.metrics();
  EXPECT_NE(metrics.find("jit_events_undelivered 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("jit_events_failed 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("jit_events_oldest_undelivered_age_seconds "), std::string::npos);

  EXPECT_EQ(std::get<0>(admin({"events", "retry", "evt-unknown"})), 1);
  receiver.answer_with({200});
  auto [retry_code, retried, retry_err] = admin({"events", "retry", id});
  ASSERT_EQ(retry_code, 0) << retry_err;
  EXPECT_NE(retried.find("retried 1 event(s)"), std::string::npos) << retried;
  EXPECT_TRUE(eventually(
      [&] {
        return broker.count("SELECT count(*) FROM event_outbox WHERE delivered_at IS NULL") == 0;
      },
      5s));
  EXPECT_EQ(receiver.requests().back().headers.at("x-jit-event-id"), id);
  EXPECT_NE(broker.metrics().find("jit_events_undelivered 0"), std::string::npos);
  auto [none_code, none, none_err] = admin({"events", "list", "--failed"});
  EXPECT_EQ(none, "no failed events\n");
}

}  // namespace
}  // namespace jit::broker
