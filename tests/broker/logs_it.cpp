// The daemon's log (issue 20 item 4, docs/operations.md "Logs") through a real `jit-broker serve`
// with `log_format: json`: every stderr line is a JSON object, every answered request has one
// access line whose request_id is the X-Request-Id the client got, and no secret of the requests
// (password, TOTP codes, session and CSRF tokens, the metrics token, a query string) is in it.
#include "approvals/totp.hpp"
#include "broker/client/http_client.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/unused_totp_codes.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <sstream>
#include <thread>

namespace jit::broker {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kLogsMetricsToken = "logs-metrics-token-0123456789abcdef";
constexpr std::string_view kLogsQuerySecret = "querysecret0123456789";

struct SentRequest {
  std::string method, route, user;  // user empty: the line must say null
  unsigned status = 0;
  std::string request_id;
};

class BrokerLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_.write_config(testing::BrokerConfig{
        "127.0.0.1:0", "data",
        "log_format: json\nmetrics:\n  bearer_token_env: JIT_LOGS_METRICS_TOKEN\n"});
    for (const char* user : {"alice", "carol"}) secrets_[user] = broker_.enroll(user);
    broker_.launch({"JIT_LOGS_METRICS_TOKEN=" + std::string(kLogsMetricsToken)});
    ASSERT_TRUE(broker_.wait_listening(20s)) << broker_.errors();
  }

  // A code not used yet by `user` (single use per 30 s step; the broker accepts the next step).
  std::string totp(const std::string& user) {
    auto code = totp_codes_.next(user, secrets_.at(user));
    secrets_seen_.push_back(code);
    return code;
  }

  static std::string header(const ClientResponse& response, std::string_view name) {
    for (const auto& [key, value] : response.headers) {
      if (boost::beast::iequals(key, name)) return value;
    }
    return {};
  }

  // Sends a request and remembers what its access line must say.
  ClientResponse send(boost::beast::http::verb method, const std::string& target,
                      const std::string& route, const std::string& user,
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      const json::object* body = nullptr) {
    ClientRequest request;
    request.method = method;
    request.url = *parse_url("https://localhost:" + std::to_string(broker_.port()) + target);
    request.headers = std::move(headers);
    if (body != nullptr) request.body = json::serialize(*body);
    auto answer = fetch({broker_.ca_file()}, request);
    EXPECT_TRUE(answer) << target << ": " << answer.error().message();
    if (!answer) return {};
    const std::string id = header(*answer, "X-Request-Id");
    EXPECT_EQ(id.size(), 16u) << target;
    sent_.push_back(
        {std::string(boost::beast::http::to_string(method)), route, user, answer->status, id});
    return *answer;
  }

  testing::BrokerProcess broker_;
  std::map<std::string, ca::Bytes> secrets_;
  testing::UnusedTotpCodes totp_codes_;
  std::vector<std::string> secrets_seen_;
  std::vector<SentRequest> sent_;
};

TEST_F(BrokerLogsTest, JsonLinesWithRequestIdsAndNoSecrets) {
  using boost::beast::http::verb;
  const std::string password(testing::kTestPassword);
  secrets_seen_.push_back(password);

  // alice logs in for a cookie session (password + TOTP) and asks for a role through it.
  json::object alice_login{{"user", "alice"},
                           {"password", password},
                           {"mfa", {{"totp", totp("alice")}}},
                           {"session", "cookie"}};
  auto login = send(verb::post, "/v1/login", "/v1/login", "", {}, &alice_login);
  ASSERT_EQ(login.status, 200u) << login.body;
  const std::string cookie =
      header(login, "Set-Cookie").substr(0, header(login, "Set-Cookie").find(';'));
  const std::string csrf(json::parse(login.body).at("csrf_token").as_string());
  secrets_seen_.push_back(cookie.substr(cookie.find('=') + 1));
  secrets_seen_.push_back(csrf);
  json::object ask{{"role", "prod-db-read"},
                   {"reason", "migrate orders"},
                   {"ticket", "OPS-1"},
                   {"duration", "30m"}};
  auto created = send(verb::post, "/v1/requests", "/v1/requests", "alice",
                      {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}, &ask);
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string request_id(json::parse(created.body).at("id").as_string());

  // carol logs in for a bearer token and approves with a TOTP code.
  json::object carol_login{
      {"user", "carol"}, {"password", password}, {"mfa", {{"totp", totp("carol")}}}};
  auto carol = send(verb::post, "/v1/login", "/v1/login", "", {}, &carol_login);
  ASSERT_EQ(carol.status, 200u) << carol.body;
  const std::string token(json::parse(carol.body).at("token").as_string());
  secrets_seen_.push_back(token);
  json::object approve{{"mfa", {{"totp", totp("carol")}}}};
  auto approved =
      send(verb::post, "/v1/requests/" + request_id + "/approve", "/v1/requests/{id}/approve",
           "carol", {{"Authorization", "Bearer " + token}}, &approve);
  EXPECT_EQ(approved.status, 200u) << approved.body;

  // A token in a query string, a scrape with the metrics token, a path that matches nothing.
  send(verb::get, "/v1/grants?token=" + std::string(kLogsQuerySecret), "/v1/grants", "carol",
       {{"Authorization", "Bearer " + token}});
  secrets_seen_.emplace_back(kLogsQuerySecret);
  auto scrape = send(verb::get, "/metrics", "/metrics", "",
                     {{"Authorization", "Bearer " + std::string(kLogsMetricsToken)}});
  EXPECT_EQ(scrape.status, 200u);
  secrets_seen_.emplace_back(kLogsMetricsToken);
  send(verb::get, "/no/such/" + request_id, "", "");

  ASSERT_EQ(broker_.stop(), 0);
  const std::string log = broker_.errors();

  std::map<std::string, json::object> access_by_id;
  std::vector<std::string> events;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    json::value parsed;
    ASSERT_NO_THROW(parsed = json::parse(line)) << "not JSON: " << line;
    ASSERT_TRUE(parsed.is_object()) << line;
    const auto& object = parsed.as_object();
    ASSERT_TRUE(object.contains("time") && object.contains("level") && object.contains("event"))
        << line;
    const std::string event(object.at("event").as_string());
    events.push_back(event);
    if (event == "request") {
      access_by_id.emplace(std::string(object.at("request_id").as_string()), object);
    }
  }
  EXPECT_NE(std::find(events.begin(), events.end(), "started"), events.end()) << log;
  EXPECT_NE(std::find(events.begin(), events.end(), "stopped"), events.end()) << log;

  for (const auto& sent : sent_) {
    const auto it = access_by_id.find(sent.request_id);
    ASSERT_NE(it, access_by_id.end()) << sent.route << " id " << sent.request_id << "\n" << log;
    const auto& line = it->second;
    EXPECT_EQ(line.at("method").as_string(), sent.method);
    if (sent.route.empty()) {
      EXPECT_TRUE(line.at("route").is_null()) << json::serialize(line);
    } else {
      EXPECT_EQ(line.at("route").as_string(), sent.route);
    }
    if (sent.user.empty()) {
      EXPECT_TRUE(line.at("user").is_null()) << json::serialize(line);
    } else {
      EXPECT_EQ(line.at("user").as_string(), sent.user);
    }
    EXPECT_EQ(line.at("status").as_int64(), static_cast<std::int64_t>(sent.status));
    EXPECT_GE(line.at("duration_ms").as_double(), 0.0);
    EXPECT_EQ(line.at("client").as_string(), "127.0.0.1");
  }

  for (const auto& secret : secrets_seen_) {
    ASSERT_FALSE(secret.empty());
    EXPECT_EQ(log.find(secret), std::string::npos) << "a secret is in the log: " << secret;
  }
}

}  // namespace
}  // namespace jit::broker
