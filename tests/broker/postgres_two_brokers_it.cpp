// Two `jit-broker serve` processes on one PostgreSQL database (issue 17; docs/architecture.md
// "Store backends (SQLite and PostgreSQL)"): SSH certificates minted on both at the same time get
// distinct serials (reserved in the database, not counted per process), the audit records both
// brokers append, interleaved, form one chain that verifies, two last approvals sent to the two
// brokers at the same moment make exactly one grant, and a TOTP code spent on one broker is
// refused by the other.
#include "tests/broker/support/postgres_pair.hpp"

#include <mutex>
#include <set>
#include <thread>

namespace jit::broker {
namespace {

using jit::testing::BrokerProcess;
using jit::testing::PostgresServer;
using testing_pg::Answer;
using testing_pg::PostgresPairTest;

class PostgresTwoBrokersIt : public PostgresPairTest {};

TEST_F(PostgresTwoBrokersIt, ConcurrentMintsOnTwoBrokersGetDistinctSerialsAndOneAuditChain) {
  start_pair(PostgresServer::shared(), {"alice", "carol", "dave"});
  login(first_, "alice");
  login(first_, "carol");
  login(first_, "dave");
  const std::string id = request_access("two brokers");
  // One approval on each broker: the second sees the first's in the database.
  auto [carol_status, carol_body] = approve(first_, "carol", id);
  ASSERT_EQ(carol_status, 200u) << carol_body;
  auto [dave_status, dave_body] = approve(second_, "dave", id);
  ASSERT_EQ(dave_status, 200u) << dave_body;
  const std::string grant = grant_of(second_, id);
  ASSERT_FALSE(grant.empty());

  const boost::json::object mint_body = ssh_mint_body();
  constexpr int kThreads = 4;
  constexpr int kMintsPerThread = 6;
  std::mutex answers_mutex;
  std::vector<Answer> answers;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    const BrokerProcess& broker = t % 2 == 0 ? first_ : second_;
    threads.emplace_back([&, broker_ptr = &broker] {
      for (int i = 0; i < kMintsPerThread; ++i) {
        auto answer = call(*broker_ptr, "/v1/grants/" + grant + "/ssh-cert", "alice", mint_body);
        std::lock_guard lock(answers_mutex);
        answers.push_back(std::move(answer));
      }
    });
  }
  for (auto& thread : threads) thread.join();

  std::set<std::int64_t> serials;
  for (const auto& [status, body] : answers) {
    ASSERT_EQ(status, 201u) << body << first_.errors() << second_.errors();
    serials.insert(boost::json::parse(body).at("serial").to_number<std::int64_t>());
  }
  EXPECT_EQ(serials.size(), static_cast<std::size_t>(kThreads * kMintsPerThread));

  ASSERT_EQ(first_.stop(), 0) << first_.errors();
  ASSERT_EQ(second_.stop(), 0) << second_.errors();
  auto store = open_store();
  const auto verified =
      store->read([&](db::Connection& db) { return verify_audit_chain(db, store->audit_key()); });
  EXPECT_TRUE(verified.ok) << verified.problem;
  const auto issued = store->read([](db::Connection& db) {
    db::Statement query(db, "SELECT count(*) FROM audit WHERE action = 'certificate.issue'");
    query.step();
    return query.get_int64(0);
  });
  EXPECT_EQ(issued, kThreads * kMintsPerThread);
}

// One approval is needed and two approvers give it at the same moment, one on each broker. Every
// write batch runs under the cluster's audit chain lock, so the second approval's job reads the
// request after the first committed and finds it approved: exactly one grant, and the other
// approver is told the request is no longer pending (409), never a second grant.
TEST_F(PostgresTwoBrokersIt, TwoLastApprovalsAtOnceOnTwoBrokersMakeExactlyOneGrant) {
  start_pair(PostgresServer::shared(), {"alice", "carol", "dave"},
             jit::testing::test_policy({.approvals_required = 1}));
  login(first_, "alice");
  login(first_, "carol");
  login(second_, "dave");
  // Each round spends a TOTP step of each approver, and the broker accepts the current and the
  // next step only: after the logins, a second round would wait up to 30 s for a new step.
  constexpr int kRounds = 1;
  for (int round = 0; round < kRounds; ++round) {
    const std::string id = request_access("race " + std::to_string(round));
    ASSERT_FALSE(id.empty());
    // Codes first, so both POSTs leave together.
    const boost::json::object carol_body{{"mfa", {{"totp", totp_for("carol")}}}};
    const boost::json::object dave_body{{"mfa", {{"totp", totp_for("dave")}}}};
    Answer carol;
    Answer dave;
    std::thread on_first(
        [&] { carol = call(first_, "/v1/requests/" + id + "/approve", "carol", carol_body); });
    std::thread on_second(
        [&] { dave = call(second_, "/v1/requests/" + id + "/approve", "dave", dave_body); });
    on_first.join();
    on_second.join();
    const int accepted = (carol.first == 200u) + (dave.first == 200u);
    EXPECT_EQ(accepted, 1) << carol.second << " / " << dave.second;
    for (const Answer& answer : {carol, dave}) {
      EXPECT_TRUE(answer.first == 200u || answer.first == 409u) << answer.second;
    }
    EXPECT_FALSE(grant_of(first_, id).empty());
  }
  ASSERT_EQ(first_.stop(), 0) << first_.errors();
  ASSERT_EQ(second_.stop(), 0) << second_.errors();
  auto store = open_store();
  const auto [grants, approvals] = store->read([](db::Connection& db) {
    db::Statement grants(db, "SELECT count(*) FROM grants");
    grants.step();
    db::Statement approvals(db, "SELECT count(*) FROM audit WHERE action = 'request.approve'");
    approvals.step();
    return std::pair{grants.get_int64(0), approvals.get_int64(0)};
  });
  EXPECT_EQ(grants, kRounds);
  EXPECT_EQ(approvals, kRounds);
}

// A TOTP step is spent in the shared database: the code that signed in on one broker is refused
// by the other, and so is a WebAuthn-free replay of the same login there.
TEST_F(PostgresTwoBrokersIt, ATotpCodeUsedOnOneBrokerIsRefusedOnTheOther) {
  start_pair(PostgresServer::shared(), {"alice"});
  const std::string code = totp_for("alice");
  const boost::json::object login_body{{"user", "alice"},
                                       {"password", std::string(jit::testing::kTestPassword)},
                                       {"mfa", {{"totp", code}}}};
  auto [first_status, first_body] = call(first_, "/v1/login", "", login_body);
  ASSERT_EQ(first_status, 200u) << first_body;
  auto [second_status, second_body] = call(second_, "/v1/login", "", login_body);
  // A login does not say which factor failed.
  EXPECT_EQ(second_status, 401u) << second_body;
  EXPECT_NE(second_body.find("\"unauthenticated\""), std::string::npos) << second_body;
  // The session made on the first broker is valid on the second: sessions live in the database.
  tokens_["alice"] = std::string(boost::json::parse(first_body).at("token").as_string());
  auto [whoami_status, whoami_body] = call(second_, "/v1/session", "alice", std::nullopt);
  EXPECT_EQ(whoami_status, 200u) << whoami_body;
}

}  // namespace
}  // namespace jit::broker
