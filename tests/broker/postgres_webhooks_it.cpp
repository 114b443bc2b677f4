// Webhooks of two `jit-broker serve` processes on one PostgreSQL database (issue 17;
// docs/architecture.md "Events"): each event is sent once by the cluster, whichever broker (or
// admin command) made it, and a broker killed with SIGKILL while it sends leaves claims that hold
// its events until their lease ends; then the other broker sends them, with the same ids.
#include "broker/client/http_client.hpp"
#include "broker/store/db/postgres_connection.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/files.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unused_totp_codes.hpp"
#include "tests/support/webhook_check.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <map>
#include <set>
#include <thread>

namespace jit::broker {
namespace {

using jit::testing::eventually;

using jit::testing::BrokerProcess;
using jit::testing::HttpReceiver;
using jit::testing::PostgresServer;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kHookSecret = "postgres-webhooks-it-secret-0123";

class PostgresWebhooksIt : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresServer::shared().url(PostgresServer::shared().create_database());
    jit::testing::write_text(secret_dir_ / "hook.secret", std::string(kHookSecret) + "\n");
    ::chmod((secret_dir_ / "hook.secret").c_str(), 0600);
  }

  // Both brokers: one database, the same webhook URL (signed), `timeout` per POST.
  void configure(const HttpReceiver& receiver, const std::string& timeout) {
    for (BrokerProcess* broker : {&first_, &second_}) {
      jit::testing::write_text(broker->dir() / "pg.url", url_ + "\n");
      ::chmod((broker->dir() / "pg.url").c_str(), 0600);
      broker->write_config(
          {"127.0.0.1:0", "data",
           "store: {backend: postgresql, url_file: pg.url}\n"
           "limits: {max_pending_per_user_role: 100, max_pending_per_user: 100}\n"
           "webhooks:\n  timeout: " +
               timeout + "\n  max_attempts: 100\n  urls:\n    - url: http://127.0.0.1:" +
               std::to_string(receiver.port()) +
               "/hook\n      secret_file: " + (secret_dir_ / "hook.secret").string() + "\n"});
    }
  }

  // The second broker is the same deployment: the same data key and CA keys, another process.
  void copy_data_to_second() {
    std::filesystem::copy(first_.dir() / "data", second_.dir() / "data",
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
  }

  // The event ids of the outbox, and how many of its events are not delivered.
  std::set<std::string> outbox_ids() const {
    auto db = db::PostgresConnection::connect(url_);
    db::Statement query(*db, "SELECT event_id FROM event_outbox");
    std::set<std::string> ids;
    while (query.step()) ids.insert(query.get_text(0));
    return ids;
  }
  std::int64_t undelivered() const {
    auto db = db::PostgresConnection::connect(url_);
    db::Statement query(*db, "SELECT count(*) FROM event_outbox WHERE delivered_at IS NULL");
    query.step();
    return query.get_int64(0);
  }

  // Every delivery from `from` on, checked as genuine and fresh: how often each event id came.
  static std::map<std::string, int> arrivals(const HttpReceiver& receiver, std::size_t from = 0) {
    std::map<std::string, int> count;
    const auto requests = receiver.requests();
    for (std::size_t i = from; i < requests.size(); ++i) {
      EXPECT_EQ(jit::testing::webhook_problem(requests[i], kHookSecret, jit::testing::unix_now()),
                "");
      ++count[requests[i].headers.at("x-jit-event-id")];
    }
    return count;
  }

  std::pair<unsigned, std::string> post_to(const BrokerProcess& broker, const std::string& target,
                                           const std::string& token,
                                           const boost::json::object& body) const {
    ClientRequest request;
    request.method = boost::beast::http::verb::post;
    request.url = *parse_url("https://localhost:" + std::to_string(broker.port()) + target);
    request.body = boost::json::serialize(body);
    if (!token.empty()) request.headers.push_back({"Authorization", "Bearer " + token});
    auto answer = fetch({first_.ca_file()}, request);
    if (!answer) return {0, answer.error().message()};
    return {answer->status, answer->body};
  }

  jit::testing::TempDir secret_dir_;
  BrokerProcess first_;
  BrokerProcess second_;
  std::string url_;
};

TEST_F(PostgresWebhooksIt, EveryEventOfABurstOnBothBrokersArrivesExactlyOnce) {
  HttpReceiver receiver({200});
  configure(receiver, "5s");
  const auto secret = first_.enroll("alice");
  for (const char* user : {"bob", "erin"}) first_.enroll(user);
  first_.start();
  copy_data_to_second();
  second_.start();
  jit::testing::UnusedTotpCodes totp;
  auto [login_status, login_body] = post_to(first_, "/v1/login", "",
                                            {{"user", "alice"},
                                             {"password", std::string(jit::testing::kTestPassword)},
                                             {"mfa", {{"totp", totp.next("alice", secret)}}}});
  ASSERT_EQ(login_status, 200u) << login_body;
  const std::string token(boost::json::parse(login_body).at("token").as_string());

  // request.created events made on both brokers at once, and user.locked events written by admin
  // commands of each broker's config meanwhile.
  constexpr int kPerBroker = 15;
  std::vector<std::thread> threads;
  std::vector<unsigned> statuses(2 * kPerBroker);
  for (int b = 0; b < 2; ++b) {
    threads.emplace_back([&, b] {
      const BrokerProcess& broker = b == 0 ? first_ : second_;
      for (int i = 0; i < kPerBroker; ++i) {
        statuses[b * kPerBroker + i] = post_to(broker, "/v1/requests", token,
                                               {{"role", "prod-db-read"},
                                                {"reason", "burst " + std::to_string(i)},
                                                {"ticket", "OPS-17"},
                                                {"duration", "1h"}})
                                           .first;
      }
    });
  }
  auto [bob_code, bob_out, bob_err] = first_.admin({"user", "lock", "bob"});
  auto [erin_code, erin_out, erin_err] = second_.admin({"user", "lock", "erin"});
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(bob_code, 0) << bob_err;
  EXPECT_EQ(erin_code, 0) << erin_err;
  for (const unsigned status : statuses) ASSERT_EQ(status, 201u);

  const auto ids = outbox_ids();
  ASSERT_EQ(ids.size(), 2u * kPerBroker + 2);
  // Generous: a round that fails is sent again only after a backoff, and an event whose claim
  // was lost waits for the 15 s lease (seen once in a sanitized run on a busy machine).
  ASSERT_TRUE(eventually([&] { return undelivered() == 0; }, 40s))
      << first_.errors() << second_.errors();
  // A second broker that sent an event again would do so within a poll or two.
  std::this_thread::sleep_for(1s);
  const auto arrived = arrivals(receiver);
  std::set<std::string> arrived_ids;
  for (const auto& [id, times] : arrived) {
    EXPECT_EQ(times, 1) << id;
    arrived_ids.insert(id);
  }
  EXPECT_EQ(arrived_ids, ids);
  EXPECT_EQ(receiver.requests().size(), ids.size());
  ASSERT_EQ(first_.stop(), 0) << first_.errors();
  ASSERT_EQ(second_.stop(), 0) << second_.errors();
}

TEST_F(PostgresWebhooksIt, ABrokerKilledWhileSendingLeavesItsEventsToTheOtherAfterTheLease) {
  // The first broker's POSTs get no answer: it is killed while it holds their claims.
  HttpReceiver receiver({HttpReceiver::kHang});
  configure(receiver, "3s");  // a lease of 3 s + 10 s
  // Three events wait before the first broker starts: its first poll claims all three at once.
  for (const char* user : {"alice", "bob", "carol"}) {
    first_.enroll(user);
    auto [code, out, err] = first_.admin({"user", "lock", user});
    ASSERT_EQ(code, 0) << err;
  }
  copy_data_to_second();
  first_.start();
  ASSERT_TRUE(eventually([&] { return receiver.requests().size() == 3; }, 5s));
  const pid_t first_pid = first_.process().pid();
  first_.kill();
  const auto claims = [&] {
    auto db = db::PostgresConnection::connect(url_);
    db::Statement query(*db,
                        "SELECT claimed_by, claimed_until FROM event_outbox "
                        "WHERE delivered_at IS NULL");
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (query.step()) out.emplace_back(query.get_text(0), query.get_int64(1));
    return out;
  }();
  ASSERT_EQ(claims.size(), 3u);
  std::int64_t lease_end_us = 0;
  for (const auto& [claimant, until] : claims) {
    // broker_instance_id(): host, the killed process's pid, random.
    EXPECT_NE(claimant.find("-" + std::to_string(first_pid) + "-"), std::string::npos) << claimant;
    lease_end_us = std::max(lease_end_us, until);
  }

  receiver.answer_with({200});
  second_.start();
  const auto first_arrivals = arrivals(receiver);
  ASSERT_TRUE(eventually([&] { return receiver.requests().size() > 3; }, 25s)) << second_.errors();
  const auto resent_at_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  // Not before the dead broker's leases ended (the second broker's polls during them took
  // nothing; its clock is this one), and soon after.
  EXPECT_GE(resent_at_us, lease_end_us);
  EXPECT_LT(resent_at_us, lease_end_us + 3'000'000);
  ASSERT_TRUE(eventually([&] { return undelivered() == 0; }, 5s)) << second_.errors();
  const auto second_arrivals = arrivals(receiver, 3);
  ASSERT_EQ(second_arrivals.size(), 3u);
  for (const auto& [id, times] : second_arrivals) {
    EXPECT_EQ(times, 1) << id;
    EXPECT_EQ(first_arrivals.count(id), 1u) << id;  // the same ids: receivers deduplicate
  }
  ASSERT_EQ(second_.stop(), 0) << second_.errors();
}

}  // namespace
}  // namespace jit::broker
