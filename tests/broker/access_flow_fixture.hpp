// The fixture of the end-to-end access flow tests (access_flow_it.cpp, jit_ssh_flow_it.cpp,
// x509_flow_it.cpp): a real `jit-broker serve` on 127.0.0.1 with six enrolled users and a webhook
// receiver, a real sshd that trusts the broker's SSH CA, and helpers for the API and the `jit`
// command as each user. Split from one file so that each file stays one story.
#pragma once

#include "approvals/totp.hpp"
#include "broker/client/http_client.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/files.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/ssh_process.hpp"
#include "tests/support/unused_totp_codes.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace jit::broker::access_flow_testing {

using testing::kBrokerBinary;
using testing::kJitBinary;

namespace json = boost::json;
namespace http = boost::beast::http;
using jit::testing::ChildProcess;
using jit::testing::read_text;
using jit::testing::write_text;
using namespace std::chrono_literals;

// Every user's password: 12 characters or more and no user's name (approvals/password_rules.hpp).
constexpr std::string_view kPassword = testing::kTestPassword;

inline std::string current_user() {
  auto result = testing::run_process({"/usr/bin/id", "-un"});
  auto name = result.out;
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  return name;
}

class AccessFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The test policy (the broker's folder has it already), and webhooks to the receiver.
    broker_.write_config(testing::BrokerConfig{
        "127.0.0.1:0", "data",
        ca_yaml() + "webhooks:\n  urls: [\"http://127.0.0.1:" + std::to_string(webhooks_.port()) +
            "/hook\"]\n"});
    for (const char* user : {"alice", "bob", "carol", "dave", "erin", "frank"}) enroll(user);
    prepare_ca();
    start_broker();
  }

  // More lines of broker.yaml's ca: section (indented two spaces: BrokerProcess writes `ca:` last),
  // and what makes the CA keys before the broker starts (the PKCS#11 flow's `ca init`).
  virtual std::string ca_yaml() const { return {}; }
  virtual void prepare_ca() {}

  void enroll(const std::string& user) { secrets_[user] = broker_.enroll(user); }

  void start_broker() {
    broker_.launch();
    ASSERT_TRUE(broker_.wait_listening(20s)) << broker_.errors();
    port_ = broker_.port();
  }

  std::string config() const { return broker_.config_file(); }

  // A TOTP code each user has not used yet: codes are single-use per 30 s step, and the broker
  // accepts the next step too, so this waits only when a user needs a third code within a step.
  std::string code(const std::string& user) { return totp_codes_.next(user, secrets_.at(user)); }

  ClientResponse call(http::verb method, const std::string& target, const std::string& user,
                      const json::object* body = nullptr) {
    ClientRequest request;
    request.method = method;
    request.url = *parse_url("https://localhost:" + std::to_string(port_) + target);
    if (body != nullptr) request.body = json::serialize(*body);
    if (!user.empty()) request.headers.push_back({"Authorization", "Bearer " + tokens_[user]});
    auto answer = fetch({dir_ / "data" / "tls" / "server.crt"}, request);
    EXPECT_TRUE(answer) << target << ": " << answer.error().message();
    return answer ? *answer : ClientResponse{};
  }
  json::value post(const std::string& target, const std::string& user, json::object body,
                   unsigned expected_status) {
    auto answer = call(http::verb::post, target, user, &body);
    EXPECT_EQ(answer.status, expected_status) << target << " as " << user << ": " << answer.body;
    return json::parse(answer.body);
  }
  json::value get(const std::string& target, const std::string& user) {
    auto answer = call(http::verb::get, target, user);
    EXPECT_EQ(answer.status, 200u) << target << ": " << answer.body;
    return json::parse(answer.body);
  }

  void login(const std::string& user) {
    auto answer = post(
        "/v1/login", "",
        {{"user", user}, {"password", std::string(kPassword)}, {"mfa", {{"totp", code(user)}}}},
        200);
    tokens_[user] = std::string(answer.at("token").as_string());
  }

  std::string approved_request(const std::string& duration) {
    auto created = post("/v1/requests", "alice",
                        {{"role", "prod-db-read"},
                         {"reason", "migrate orders"},
                         {"ticket", "OPS-1"},
                         {"duration", duration}},
                        201);
    const std::string id(created.at("id").as_string());
    for (const char* approver : {"carol", "dave"}) {
      post("/v1/requests/" + id + "/approve", approver, {{"mfa", {{"totp", code(approver)}}}}, 200);
    }
    return id;
  }

  // Mints an SSH certificate for a new key of alice; returns the private key's path.
  std::filesystem::path mint_ssh(const std::string& grant, const std::string& name) {
    auto key = testing::ssh_keygen_new_key(dir_, name, {"-t", "ed25519"});
    auto minted = post("/v1/grants/" + grant + "/ssh-cert", "alice",
                       {{"public_key", read_text(key.string() + ".pub")}}, 201);
    write_text(key.string() + "-cert.pub",
               std::string(minted.at("certificate").as_string()) + "\n");
    return key;
  }

  void start_sshd() {
    // The login account accepts certificates carrying the `dbread` principal.
    write_krl();
    sshd_ = std::make_unique<testing::CertificateSshd>(dir_, std::string(get_text("/v1/ca/ssh")),
                                                       "dbread", read_text(dir_ / "revoked.krl"));
    sshd_port_ = sshd_->port();
  }

  std::string get_text(const std::string& target) {
    auto answer = call(http::verb::get, target, "");
    EXPECT_EQ(answer.status, 200u);
    return answer.body;
  }

  void write_krl() {
    auto [code, out, err] = ChildProcess::run(
        {kBrokerBinary, "--config", config(), "krl", "write", (dir_ / "revoked.krl").string()},
        dir_);
    ASSERT_EQ(code, 0) << err;
  }

  testing::ProcessResult ssh(const std::filesystem::path& key) {
    return testing::ssh_run_with_key(key, static_cast<std::uint16_t>(sshd_port_), current_user(),
                                     "echo logged-in-as-$(id -un)");
  }

  // `jit ARGS` as `user`, each user with their own profile folder.
  std::tuple<int, std::string, std::string> jit(const std::string& user,
                                                std::vector<std::string> args,
                                                const std::string& stdin_text = {}) {
    args.insert(args.begin(), kJitBinary);
    const auto profile = dir_ / ("jit-" + user);
    std::filesystem::create_directories(profile);
    return ChildProcess::run(args, dir_, {"JIT_CONFIG_DIR=" + profile.string()}, stdin_text);
  }

  void jit_login(const std::string& user) {
    auto [code, out, err] =
        jit(user,
            {"--broker", "https://localhost:" + std::to_string(port_), "--ca-file",
             (dir_ / "data" / "tls" / "server.crt").string(), "login", "--user", user,
             "--password-stdin", "--totp", this->code(user)},
            std::string(kPassword) + "\n");
    ASSERT_EQ(code, 0) << out << err;
  }

  // The events the broker posted, in order of arrival.
  std::vector<std::string> webhook_events() {
    std::vector<std::string> events;
    for (const auto& body : webhooks_.bodies()) {
      events.emplace_back(json::parse(body).at("event").as_string());
    }
    return events;
  }

  jit::testing::HttpReceiver webhooks_{{200}};
  testing::BrokerProcess broker_;
  const std::filesystem::path& dir_ = broker_.dir();  // the broker's folder: files, data/, cwd
  std::map<std::string, ca::Bytes> secrets_;
  testing::UnusedTotpCodes totp_codes_;
  std::map<std::string, std::string> tokens_;
  int port_ = 0;
  int sshd_port_ = 0;
  std::unique_ptr<testing::CertificateSshd> sshd_;  // stopped before dir_ goes
};

}  // namespace jit::broker::access_flow_testing
