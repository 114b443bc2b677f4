// Two `jit-broker serve` processes of one deployment on one PostgreSQL database (issue 17;
// docs/architecture.md "Store backends (SQLite and PostgreSQL)"): the fixture the HA tests share.
// The second broker gets a copy of the first's data folder (the same data key and CA keys), as a
// second machine of the same deployment would; both read the database URL from a 0600 file.
#pragma once

#include "broker/auth/data_key.hpp"
#include "broker/auth/derived_keys.hpp"
#include "broker/client/http_client.hpp"
#include "broker/store/store.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/files.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/ssh_process.hpp"
#include "tests/support/test_policy.hpp"
#include "tests/support/unused_totp_codes.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jit::broker::testing_pg {

using jit::testing::BrokerProcess;
using jit::testing::PostgresServer;

// {HTTP status, body}; status 0 when no answer came (body: the transport error).
using Answer = std::pair<unsigned, std::string>;

class PostgresPairTest : public ::testing::Test {
 protected:
  // Points both brokers at a new database of `server`, enrols `users` (password and TOTP), starts
  // the first broker (which makes the CA keys), copies its data folder to the second, starts it.
  // `extra_yaml`: more of broker.yaml for both (an sso section).
  void start_pair(PostgresServer& server, const std::vector<std::string>& users,
                  const std::string& policy_yaml = jit::testing::test_policy(),
                  const std::string& extra_yaml = {}) {
    url_ = server.url(server.create_database());
    for (BrokerProcess* broker : {&first_, &second_}) {
      jit::testing::write_text(broker->dir() / "pg.url", url_ + "\n");
      ::chmod((broker->dir() / "pg.url").c_str(), 0600);
      broker->write_policy(policy_yaml);
      broker->write_config(
          {"127.0.0.1:0", "data", "store: {backend: postgresql, url_file: pg.url}\n" + extra_yaml});
    }
    for (const auto& user : users) secrets_[user] = first_.enroll(user);
    first_.start();
    std::filesystem::copy(first_.dir() / "data", second_.dir() / "data",
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
    second_.start();
  }

  // A TOTP code `user` has not used yet.
  std::string totp_for(const std::string& user) {
    return totp_codes_.next(user, secrets_.at(user));
  }

  // POST `body` (GET without one) to `target` on `broker` as `user` (empty: no token).
  Answer call(const BrokerProcess& broker, const std::string& target, const std::string& user,
              const std::optional<boost::json::object>& body,
              std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    return call_port(broker.port(), target, user, body, timeout);
  }
  // The same to a broker's port (a client thread of a broker that another thread restarts).
  Answer call_port(unsigned short port, const std::string& target, const std::string& user,
                   const std::optional<boost::json::object>& body,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    ClientRequest request;
    request.method = body ? boost::beast::http::verb::post : boost::beast::http::verb::get;
    request.url = *parse_url("https://localhost:" + std::to_string(port) + target);
    request.timeout = timeout;
    if (body) request.body = boost::json::serialize(*body);
    if (!user.empty()) request.headers.push_back({"Authorization", "Bearer " + tokens_.at(user)});
    auto answer = fetch({first_.ca_file()}, request);
    if (!answer) return {0, answer.error().message()};
    return {answer->status, answer->body};
  }

  // Signs `user` in on `broker` (password and an unused TOTP code) and keeps the token.
  void login(const BrokerProcess& broker, const std::string& user) {
    auto [status, body] =
        call(broker, "/v1/login", "",
             boost::json::object{{"user", user},
                                 {"password", std::string(jit::testing::kTestPassword)},
                                 {"mfa", {{"totp", totp_for(user)}}}});
    ASSERT_EQ(status, 200u) << body;
    tokens_[user] = std::string(boost::json::parse(body).at("token").as_string());
  }

  // alice asks for prod-db-read on the first broker; the request's id.
  std::string request_access(const std::string& reason) {
    auto [status, body] = call(first_, "/v1/requests", "alice",
                               boost::json::object{{"role", "prod-db-read"},
                                                   {"reason", reason},
                                                   {"ticket", "OPS-17"},
                                                   {"duration", "1h"}});
    EXPECT_EQ(status, 201u) << body;
    return status == 201u ? std::string(boost::json::parse(body).at("id").as_string())
                          : std::string();
  }

  Answer approve(const BrokerProcess& broker, const std::string& approver,
                 const std::string& request_id) {
    return call(broker, "/v1/requests/" + request_id + "/approve", approver,
                boost::json::object{{"mfa", {{"totp", totp_for(approver)}}}});
  }

  // The grant of an approved request, read on `broker`; empty when it has none.
  std::string grant_of(const BrokerProcess& broker, const std::string& request_id) {
    auto [status, body] = call(broker, "/v1/requests/" + request_id, "alice", std::nullopt);
    if (status != 200u) return {};
    const auto request = boost::json::parse(body).as_object();
    const auto* grant = request.if_contains("grant");
    if (grant == nullptr || !grant->is_object()) return {};
    return std::string(grant->at("id").as_string());
  }

  // A POST body for an SSH certificate of a new ed25519 key.
  boost::json::object ssh_mint_body() {
    const auto key = jit::testing::ssh_keygen_new_key(first_.dir(), "alice_key", {"-t", "ed25519"});
    return {{"public_key", jit::testing::read_text(key.string() + ".pub")}};
  }

  // The database as the brokers see it (same data key, so the same audit chain key).
  std::unique_ptr<Store> open_store() const {
    return Store::open_postgresql(
        url_, audit_chain_key(load_or_create_data_key(first_.dir() / "data" / "data.key")));
  }

  BrokerProcess first_;
  BrokerProcess second_;
  std::string url_;
  std::map<std::string, ca::Bytes> secrets_;
  jit::testing::UnusedTotpCodes totp_codes_;
  std::map<std::string, std::string> tokens_;
};

}  // namespace jit::broker::testing_pg
