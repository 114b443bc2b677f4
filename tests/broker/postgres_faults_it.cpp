// Faults under load on two brokers sharing one PostgreSQL (issue 17; docs/architecture.md "Store
// backends (SQLite and PostgreSQL)"). Clients mint SSH certificates on both brokers without pause
// while (1) PostgreSQL is restarted with a fast shutdown, or (2) one broker is killed with SIGKILL
// again and again, while approvals go to both. Every answer must be a certificate (201) or a clean
// 503 with a JSON error (never a hang, never another status), the brokers must serve again within
// seconds, and every certificate a client received must be in the database with its audit record:
// nothing acknowledged is lost, no serial is given twice, and the one audit chain verifies.
#include "tests/broker/support/postgres_pair.hpp"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

namespace jit::broker {
namespace {

using jit::testing::BrokerProcess;
using jit::testing::PostgresServer;
using testing_pg::Answer;
using testing_pg::PostgresPairTest;
using Clock = std::chrono::steady_clock;

// What the clients saw.
struct LoadRecord {
  std::mutex mutex;
  std::vector<std::int64_t> serials;    // of every 201
  std::vector<std::string> unexpected;  // answers that were neither 201 nor a JSON 503
  std::size_t unavailable = 0;          // 503s
  std::size_t transport_errors = 0;     // no answer (a killed broker)
  Clock::duration slowest{};
};

class PostgresFaultsIt : public PostgresPairTest {
 protected:
  // Brokers up, alice holding an approved grant; returns its id.
  std::string grant_on_pair(PostgresServer& server) {
    start_pair(server, {"alice", "carol", "dave"});
    login(first_, "alice");
    login(first_, "carol");
    login(second_, "dave");
    const std::string id = request_access("fault test");
    EXPECT_EQ(approve(first_, "carol", id).first, 200u);
    EXPECT_EQ(approve(second_, "dave", id).first, 200u);
    return grant_of(first_, id);
  }

  // One client thread: mints on `broker` until `stop`, recording every answer. `may_vanish`: the
  // broker may be killed, so an answer that never comes is expected.
  void mint_until(unsigned short port, const std::string& grant, const boost::json::object& body,
                  const std::atomic<bool>& stop, LoadRecord& record, bool may_vanish) {
    while (!stop.load()) {
      const auto started = Clock::now();
      const Answer answer = call_port(port, "/v1/grants/" + grant + "/ssh-cert", "alice", body,
                                      std::chrono::seconds(30));
      const auto took = Clock::now() - started;
      std::lock_guard lock(record.mutex);
      record.slowest = std::max(record.slowest, took);
      if (answer.first == 201u) {
        record.serials.push_back(
            boost::json::parse(answer.second).at("serial").to_number<std::int64_t>());
      } else if (answer.first == 503u &&
                 boost::json::parse(answer.second).as_object().contains("error")) {
        ++record.unavailable;
      } else if (answer.first == 0 && may_vanish) {
        ++record.transport_errors;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // while it restarts
      } else {
        record.unexpected.push_back(std::to_string(answer.first) + " " + answer.second);
      }
    }
  }

  // Waits until a mint on `broker` succeeds; how long that took (at most `limit`).
  Clock::duration until_serving(const BrokerProcess& broker, const std::string& grant,
                                const boost::json::object& body, Clock::duration limit) {
    const auto started = Clock::now();
    while (Clock::now() - started < limit) {
      if (call(broker, "/v1/grants/" + grant + "/ssh-cert", "alice", body).first == 201u) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Clock::now() - started;
  }

  // Every serial a client received is a certificate row with its audit record, no two rows share
  // a serial, and the chain verifies.
  void expect_nothing_acknowledged_lost(const LoadRecord& record) {
    auto store = open_store();
    const auto verified =
        store->read([&](db::Connection& db) { return verify_audit_chain(db, store->audit_key()); });
    EXPECT_TRUE(verified.ok) << verified.problem;
    const auto [stored, audited, rows] = store->read([](db::Connection& db) {
      std::set<std::int64_t> serials;
      std::int64_t rows = 0;
      db::Statement query(db, "SELECT serial FROM certificates WHERE kind = 'ssh'");
      while (query.step()) {
        serials.insert(std::stoll(query.get_text(0)));
        ++rows;
      }
      db::Statement audit(db, "SELECT count(*) FROM audit WHERE action = 'certificate.issue'");
      audit.step();
      return std::tuple{serials, audit.get_int64(0), rows};
    });
    EXPECT_EQ(static_cast<std::size_t>(rows), stored.size()) << "a serial was given twice";
    EXPECT_EQ(audited, rows);
    const std::set<std::int64_t> acknowledged(record.serials.begin(), record.serials.end());
    EXPECT_EQ(acknowledged.size(), record.serials.size()) << "a client got one serial twice";
    std::size_t missing = 0;
    for (const auto serial : acknowledged) missing += stored.count(serial) == 0 ? 1 : 0;
    EXPECT_EQ(missing, 0u) << "acknowledged certificates missing from the database";
  }
};

TEST_F(PostgresFaultsIt, PostgresqlRestartedUnderLoadAnswers503ThenServesAgainAndLosesNothing) {
  PostgresServer server;  // its own: restarted below
  const std::string grant = grant_on_pair(server);
  ASSERT_FALSE(grant.empty());
  const boost::json::object body = ssh_mint_body();
  std::atomic<bool> stop{false};
  LoadRecord record;
  std::vector<std::thread> clients;
  for (const BrokerProcess* broker : {&first_, &second_, &first_, &second_}) {
    clients.emplace_back(
        [&, port = broker->port()] { mint_until(port, grant, body, stop, record, false); });
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const std::size_t before_restart = [&] {
    std::lock_guard lock(record.mutex);
    return record.serials.size();
  }();
  server.stop_fast();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the gap: answers must be 503
  server.start();
  const auto first_back = until_serving(first_, grant, body, std::chrono::seconds(20));
  const auto second_back = until_serving(second_, grant, body, std::chrono::seconds(20));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  stop = true;
  for (auto& client : clients) client.join();

  std::printf(
      "[ restart  ] before %zu certificates; after %zu; 503s %zu; slowest answer %lld ms; "
      "serving again after %lld ms (first) and %lld ms (second)\n",
      before_restart, record.serials.size(), record.unavailable,
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(record.slowest).count()),
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(first_back).count()),
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(second_back).count()));
  EXPECT_GT(before_restart, 0u);
  EXPECT_GT(record.unavailable, 0u) << "no 503 while the database was down";
  // The brokers' logs say which call stalled, and on what, when one did.
  const auto logs = [this] {
    return "\nfirst broker's log:\n" + first_.errors() + "\nsecond broker's log:\n" +
           second_.errors();
  };
  EXPECT_TRUE(record.unexpected.empty()) << record.unexpected.front() << logs();
  EXPECT_LT(record.slowest, std::chrono::seconds(15)) << "a call hung" << logs();
  EXPECT_LT(first_back, std::chrono::seconds(10));
  EXPECT_LT(second_back, std::chrono::seconds(10));
  EXPECT_GT(record.serials.size(), before_restart) << "nothing served after the restart";
  EXPECT_TRUE(first_.running());
  EXPECT_TRUE(second_.running());
  ASSERT_EQ(first_.stop(), 0) << first_.errors();
  ASSERT_EQ(second_.stop(), 0) << second_.errors();
  expect_nothing_acknowledged_lost(record);
}

// The test policy with one approval per request and five more approvers: each approval spends a
// TOTP step of its approver, so approvals beside the mints need approvers who still have one.
std::string one_approval_policy_with_more_approvers() {
  std::string yaml = jit::testing::test_policy({.approvals_required = 1});
  const std::string group = "  sre-leads: [carol, dave]\n";
  yaml.replace(yaml.find(group), group.size(),
               "  sre-leads: [carol, dave, ap1, ap2, ap3, ap4, ap5]\n");
  return yaml;
}

TEST_F(PostgresFaultsIt, ABrokerKilledAgainAndAgainUnderLoadLeavesTheOtherServingAndLosesNothing) {
  start_pair(PostgresServer::shared(), {"alice", "carol", "ap1", "ap2", "ap3", "ap4", "ap5"},
             one_approval_policy_with_more_approvers());
  for (const char* user : {"alice", "carol", "ap1", "ap2", "ap3", "ap4", "ap5"}) {
    login(second_, user);
  }
  const std::string first_request = request_access("fault test");
  ASSERT_EQ(approve(second_, "carol", first_request).first, 200u);
  const std::string grant = grant_of(second_, first_request);
  ASSERT_FALSE(grant.empty());
  const boost::json::object body = ssh_mint_body();
  // The killed broker comes back on the port it had, where its clients keep calling.
  const unsigned short victim_port = first_.port();
  first_.write_config({"127.0.0.1:" + std::to_string(victim_port), "data",
                       "store: {backend: postgresql, url_file: pg.url}\n"});
  std::atomic<bool> stop{false};
  LoadRecord survivor;  // clients of the broker that stays up
  LoadRecord victim;    // clients of the broker that is killed
  std::vector<std::thread> clients;
  for (int i = 0; i < 2; ++i) {
    clients.emplace_back(
        [&, port = second_.port()] { mint_until(port, grant, body, stop, survivor, false); });
    clients.emplace_back([&] { mint_until(victim_port, grant, body, stop, victim, true); });
  }
  // Approvals beside the mints, on both brokers in turn: a new request of alice's (made on the
  // broker that stays up), approved by the next approver. At most three can fail on the killed
  // broker, so alice never reaches the limit of three pending requests.
  std::vector<std::pair<std::string, std::string>> approved;  // request id, approver
  std::vector<std::string> approval_problems;
  std::size_t approvals_unanswered = 0;
  clients.emplace_back([&, survivor_port = second_.port()] {
    for (int i = 1; i <= 5 && !stop.load(); ++i) {
      const std::string approver = "ap" + std::to_string(i);
      auto [created, created_body] =
          call_port(survivor_port, "/v1/requests", "alice",
                    boost::json::object{{"role", "prod-db-read"},
                                        {"reason", "approved while a broker is killed"},
                                        {"ticket", "OPS-17"},
                                        {"duration", "1h"}});
      if (created != 201u) {
        approval_problems.push_back("create: " + std::to_string(created) + " " + created_body);
        continue;
      }
      const std::string id(boost::json::parse(created_body).at("id").as_string());
      const unsigned short port = i % 2 == 1 ? victim_port : survivor_port;
      auto [status, answer] =
          call_port(port, "/v1/requests/" + id + "/approve", approver,
                    boost::json::object{{"mfa", {{"totp", totp_for(approver)}}}});
      if (status == 200u) {
        approved.emplace_back(id, approver);
      } else if (status == 0 && port == victim_port) {
        ++approvals_unanswered;
      } else {
        approval_problems.push_back("approve: " + std::to_string(status) + " " + answer);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(700));
    }
  });
  constexpr int kKills = 3;
  for (int kill = 0; kill < kKills; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    first_.kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    first_.start();
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  for (auto& client : clients) client.join();

  std::printf(
      "[ kill -9  ] %d kills; survivor %zu certificates, 503s %zu, slowest %lld ms; "
      "victim %zu certificates, %zu calls without an answer; %zu approvals acknowledged, %zu "
      "unanswered\n",
      kKills, survivor.serials.size(), survivor.unavailable,
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(survivor.slowest).count()),
      victim.serials.size(), victim.transport_errors, approved.size(), approvals_unanswered);
  EXPECT_TRUE(approval_problems.empty()) << approval_problems.front();
  EXPECT_GE(approved.size(), 2u);
  // The broker that stays up never stops serving: a killed broker's connections end with it, and
  // the server rolls back its open transaction and frees its locks.
  EXPECT_TRUE(survivor.unexpected.empty()) << survivor.unexpected.front();
  EXPECT_EQ(survivor.unavailable, 0u);
  EXPECT_LT(survivor.slowest, std::chrono::seconds(10));
  EXPECT_TRUE(victim.unexpected.empty()) << victim.unexpected.front();
  EXPECT_GT(victim.serials.size(), 0u);
  ASSERT_EQ(first_.stop(), 0) << first_.errors();
  ASSERT_EQ(second_.stop(), 0) << second_.errors();
  LoadRecord all;
  all.serials = survivor.serials;
  all.serials.insert(all.serials.end(), victim.serials.begin(), victim.serials.end());
  expect_nothing_acknowledged_lost(all);
  // Every acknowledged approval is in the database: its review and its audit record.
  auto store = open_store();
  for (const auto& [id, approver] : approved) {
    const auto [reviews, audited] =
        store->read([&, &id = id, &approver = approver](db::Connection& db) {
          db::Statement review(
              db, "SELECT count(*) FROM reviews WHERE request_id = ? AND reviewer = ?");
          review.bind(1, id);
          review.bind(2, approver);
          review.step();
          db::Statement audit(db,
                              "SELECT count(*) FROM audit WHERE action = 'request.approve' AND "
                              "object = ? AND actor = ?");
          audit.bind(1, "request/" + id);
          audit.bind(2, approver);
          audit.step();
          return std::pair{review.get_int64(0), audit.get_int64(0)};
        });
    EXPECT_EQ(reviews, 1) << id << " " << approver;
    EXPECT_EQ(audited, 1) << id << " " << approver;
  }
}

}  // namespace
}  // namespace jit::broker
