// Two `jit-broker serve` processes on one PostgreSQL database (issue 17; docs/architecture.md
// "Store backends (SQLite and PostgreSQL)"): SSH certificates minted on both at the same time get
// distinct serials (reserved in the database, not counted per process), and the audit records
// both brokers append, interleaved, form one chain that verifies.
#include "approvals/totp.hpp"
#include "broker/auth/data_key.hpp"
#include "broker/auth/derived_keys.hpp"
#include "broker/client/http_client.hpp"
#include "broker/store/store.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/files.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/ssh_process.hpp"
#include "tests/support/unused_totp_codes.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace jit::broker {
namespace {

using jit::testing::BrokerProcess;
using jit::testing::PostgresServer;

class PostgresTwoBrokersIt : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = PostgresServer::shared().url(PostgresServer::shared().create_database());
    for (BrokerProcess* broker : {&first_, &second_}) {
      jit::testing::write_text(broker->dir() / "pg.url", url_ + "\n");
      ::chmod((broker->dir() / "pg.url").c_str(), 0600);
      broker->write_config(
          {"127.0.0.1:0", "data", "store: {backend: postgresql, url_file: pg.url}\n"});
    }
  }

  // A TOTP code `user` has not used yet (codes are single use per 30 s step; the next step is
  // accepted too).
  std::string totp_for(const std::string& user) {
    return totp_codes_.next(user, secrets_.at(user));
  }

  // POST (GET without a body) `target` to `broker` as `user` (empty: no token); {status, body}.
  std::pair<unsigned, std::string> post_to(const BrokerProcess& broker, const std::string& target,
                                           const std::string& user,
                                           const std::optional<boost::json::object>& body) {
    ClientRequest request;
    request.method = body ? boost::beast::http::verb::post : boost::beast::http::verb::get;
    request.url = *parse_url("https://localhost:" + std::to_string(broker.port()) + target);
    if (body) request.body = boost::json::serialize(*body);
    if (!user.empty()) request.headers.push_back({"Authorization", "Bearer " + tokens_.at(user)});
    auto answer = fetch({first_.ca_file()}, request);
    if (!answer) return {0, answer.error().message()};
    return {answer->status, answer->body};
  }

  BrokerProcess first_;
  BrokerProcess second_;
  std::string url_;
  std::map<std::string, ca::Bytes> secrets_;
  testing::UnusedTotpCodes totp_codes_;
  std::map<std::string, std::string> tokens_;
};

TEST_F(PostgresTwoBrokersIt, ConcurrentMintsOnTwoBrokersGetDistinctSerialsAndOneAuditChain) {
  for (const char* user : {"alice", "carol", "dave"}) secrets_[user] = first_.enroll(user);
  first_.start();
  // The second broker is the same deployment: the same data key and CA keys, another process.
  std::filesystem::copy(
      first_.dir() / "data", second_.dir() / "data",
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  second_.start();

  for (const char* user : {"alice", "carol", "dave"}) {
    auto [status, body] =
        post_to(first_, "/v1/login", "",
                boost::json::object{{"user", user},
                                    {"password", std::string(jit::testing::kTestPassword)},
                                    {"mfa", {{"totp", totp_for(user)}}}});
    ASSERT_EQ(status, 200u) << body;
    tokens_[user] = std::string(boost::json::parse(body).at("token").as_string());
  }
  auto [created_status, created_body] = post_to(first_, "/v1/requests", "alice",
                                                boost::json::object{{"role", "prod-db-read"},
                                                                    {"reason", "two brokers"},
                                                                    {"ticket", "OPS-17"},
                                                                    {"duration", "1h"}});
  ASSERT_EQ(created_status, 201u) << created_body;
  const std::string id(boost::json::parse(created_body).at("id").as_string());
  // One approval on each broker: the second sees the first's in the database.
  auto [carol_status, carol_body] =
      post_to(first_, "/v1/requests/" + id + "/approve", "carol",
              boost::json::object{{"mfa", {{"totp", totp_for("carol")}}}});
  ASSERT_EQ(carol_status, 200u) << carol_body;
  auto [dave_status, dave_body] =
      post_to(second_, "/v1/requests/" + id + "/approve", "dave",
              boost::json::object{{"mfa", {{"totp", totp_for("dave")}}}});
  ASSERT_EQ(dave_status, 200u) << dave_body;
  auto [request_status, request_body] =
      post_to(second_, "/v1/requests/" + id, "alice", std::nullopt);
  ASSERT_EQ(request_status, 200u) << request_body;
  const std::string grant(boost::json::parse(request_body).at("grant").at("id").as_string());

  const auto key = jit::testing::ssh_keygen_new_key(first_.dir(), "alice_key", {"-t", "ed25519"});
  const boost::json::object mint_body{
      {"public_key", jit::testing::read_text(key.string() + ".pub")}};
  constexpr int kThreads = 4;
  constexpr int kMintsPerThread = 6;
  std::mutex answers_mutex;
  std::vector<std::pair<unsigned, std::string>> answers;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    const BrokerProcess& broker = t % 2 == 0 ? first_ : second_;
    threads.emplace_back([&, broker_ptr = &broker] {
      for (int i = 0; i < kMintsPerThread; ++i) {
        auto answer = post_to(*broker_ptr, "/v1/grants/" + grant + "/ssh-cert", "alice", mint_body);
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
  auto store = Store::open_postgresql(
      url_, audit_chain_key(load_or_create_data_key(first_.dir() / "data" / "data.key")));
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

}  // namespace
}  // namespace jit::broker
