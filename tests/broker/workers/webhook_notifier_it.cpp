#include "broker/workers/webhook_notifier.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

namespace jit::broker {
namespace {

using namespace std::chrono_literals;

class WebhookNotifierTest : public ::testing::Test {
 protected:
  void run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) {
      io_.run_for(10ms);
      io_.restart();
    }
  }
  std::int64_t audit_count(const std::string& action) {
    store_->close();  // flush queued audit writes
    auto reopened = Store::open(dir_ / "broker.db", jit::testing::test_audit_key());
    return reopened->read([&](SQLite::Database& db) {
      SQLite::Statement q(db, "SELECT count(*) FROM audit WHERE action = ?");
      q.bind(1, action);
      q.executeStep();
      return q.getColumn(0).getInt64();
    });
  }

  jit::testing::TempDir dir_;
  std::unique_ptr<Store> store_ = Store::open(dir_ / "broker.db", jit::testing::test_audit_key());
  boost::asio::io_context io_;
};

TEST_F(WebhookNotifierTest, DeliversTheEventAsJson) {
  jit::testing::HttpReceiver receiver({200});
  WebhookOptions options;
  options.urls = {"http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook"};
  WebhookNotifier notifier(io_, *store_, options);
  notifier.notify("request.created", {{"id", "r1"}, {"role", "prod-db-read"}});
  run_until([&] { return notifier.delivered() == 1; });
  ASSERT_EQ(notifier.delivered(), 1u);
  const auto bodies = receiver.bodies();
  ASSERT_EQ(bodies.size(), 1u);
  const auto json = boost::json::parse(bodies[0]).as_object();
  EXPECT_EQ(json.at("event").as_string(), "request.created");
  EXPECT_EQ(json.at("data").as_object().at("id").as_string(), "r1");
}

TEST_F(WebhookNotifierTest, RetriesWithBackoffUntilAccepted) {
  jit::testing::HttpReceiver receiver({500, 503, 200});
  WebhookOptions options;
  options.urls = {"http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook"};
  options.first_backoff = 20ms;
  WebhookNotifier notifier(io_, *store_, options);
  notifier.notify("grant.expired", {{"id", "g1"}});
  run_until([&] { return notifier.delivered() == 1; });
  EXPECT_EQ(notifier.delivered(), 1u);
  EXPECT_EQ(notifier.failed(), 0u);
  EXPECT_EQ(receiver.bodies().size(), 3u);
  EXPECT_EQ(audit_count("webhook.failure"), 0);
}

TEST_F(WebhookNotifierTest, FinalFailureIsAudited) {
  WebhookOptions options;
  options.urls = {"http://127.0.0.1:1/hook"};  // nothing listens on port 1
  options.first_backoff = 10ms;
  options.max_attempts = 3;
  WebhookNotifier notifier(io_, *store_, options);
  notifier.notify("breakglass", {{"id", "r2"}});
  run_until([&] { return notifier.failed() == 1; });
  EXPECT_EQ(notifier.failed(), 1u);
  EXPECT_EQ(notifier.pending(), 0u);
  EXPECT_EQ(audit_count("webhook.failure"), 1);
}

TEST_F(WebhookNotifierTest, BadUrlIsRefusedAtStartUp) {
  WebhookOptions options;
  options.urls = {"ftp://example/hook"};
  EXPECT_THROW(WebhookNotifier(io_, *store_, options), std::invalid_argument);
}

}  // namespace
}  // namespace jit::broker
