// The broker's API without sockets: a store in a temporary folder, the demo policy, an identity
// service on a clock the test moves, and a router with the routes under test. `call` dispatches a
// request and waits for its answer, as the HTTPS session would.
#pragma once

#include "approvals/totp.hpp"
#include "broker/api/auth_api.hpp"
#include "broker/api/passkey_api.hpp"
#include "broker/auth/enrollment.hpp"
#include "broker/auth/identity_service.hpp"
#include "broker/http/router.hpp"
#include "broker/store/store.hpp"
#include "config/policy.hpp"
#include "support/temp_dir.hpp"
#include "support/test_audit_key.hpp"

#include <boost/json.hpp>

#include <future>
#include <map>
#include <string>
#include <vector>

namespace jit::testing {

inline constexpr std::string_view kDemoPolicy = R"yaml(
groups:
  developers: [alice, bob]
  sre-leads: [carol, dave]
  oncall: [erin]
  auditors: [frank]
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    approvals_required: 2
    max_duration: 1h
    require_reason: true
    require_ticket: true
    ssh: { principals: [dbread], extensions: [permit-pty], source_address: [127.0.0.0/8, "::1/128"] }
    x509: { san_uri: "spiffe://corp.example/user/{user}/role/{role}", organizational_unit: prod-db-read }
    breakglass: { allowed: [oncall], max_duration: 30m, review_within: 24h }
)yaml";

// The password test users are enrolled with: at least 12 characters and no user's name
// (approvals/password_rules.hpp).
inline constexpr std::string_view kTestPassword = "correct horse battery staple";

struct Answer {
  unsigned status = 0;
  boost::json::value body;
  broker::HttpResponse raw;
};

class ApiFixture {
 public:
  explicit ApiFixture(std::string_view policy_yaml = kDemoPolicy)
      : policy_(config::parse_policy(policy_yaml, "policy.yaml", config::Limits{})),
        store_(broker::Store::open(dir_ / "broker.db", test_audit_key())),
        data_key_(test_data_key()) {
    identity_ = std::make_unique<broker::IdentityService>(*store_, policy_, data_key_, settings(),
                                                          [this] { return now_; });
    broker::add_auth_routes(router_, *identity_);
    broker::add_passkey_routes(router_, *identity_, [this](std::string event, boost::json::object) {
      passkey_events_.push_back(std::move(event));
    });
  }

  static broker::AuthSettings settings() {
    broker::AuthSettings s;
    s.lockout.max_failures = 5;
    s.lockout.base = std::chrono::seconds(60);
    // The clock only moves when a test moves it, so the login rate must never decide a test here.
    s.login_rate.per_source = {1.0, 1'000'000};
    s.login_rate.overall = {1.0, 1'000'000};
    return s;
  }

  // Enrolls `user` with `password` and returns the TOTP secret from the otpauth URI.
  ca::Bytes enroll(const std::string& user,
                   const std::string& password = std::string(kTestPassword)) {
    const auto result = broker::enroll_user(*store_, policy_, data_key_, user, password, false);
    const auto start = result.otpauth_uri.find("secret=") + 7;
    const auto end = result.otpauth_uri.find('&', start);
    auto secret = approvals::base32_decode(result.otpauth_uri.substr(start, end - start));
    return *secret;
  }

  std::string totp(const ca::Bytes& secret) const {
    return *approvals::totp_code(secret, std::chrono::time_point_cast<std::chrono::seconds>(now_));
  }

  Answer call(broker::http::verb method, std::string target,
              const boost::json::value* body = nullptr,
              std::map<std::string, std::string> headers = {}) {
    broker::RequestContext context;
    context.request.method(method);
    context.request.target(target);
    context.request.version(11);
    if (body != nullptr) {
      context.request.set(broker::http::field::content_type, "application/json");
      context.request.body() = boost::json::serialize(*body);
      context.request.prepare_payload();
    }
    for (const auto& [name, value] : headers) context.request.set(name, value);
    context.remote_ip = source_;
    std::promise<broker::HttpResponse> promise;
    auto future = promise.get_future();
    router_.dispatch(std::move(context), [&promise](broker::HttpResponse response) {
      promise.set_value(std::move(response));
    });
    Answer answer;
    answer.raw = future.get();
    answer.status = answer.raw.result_int();
    boost::system::error_code ec;
    answer.body = boost::json::parse(answer.raw.body(), ec);
    return answer;
  }
  Answer post(const std::string& target, const boost::json::value& body,
              std::map<std::string, std::string> headers = {}) {
    return call(broker::http::verb::post, target, &body, std::move(headers));
  }
  Answer get(const std::string& target, std::map<std::string, std::string> headers = {}) {
    return call(broker::http::verb::get, target, nullptr, std::move(headers));
  }

  Answer login(const std::string& user, const std::string& password, const std::string& code) {
    return post("/v1/login", {{"user", user}, {"password", password}, {"mfa", {{"totp", code}}}});
  }
  static std::map<std::string, std::string> bearer(const Answer& login) {
    return {{"Authorization", "Bearer " + std::string(login.body.at("token").as_string())}};
  }

  std::int64_t audit_count(const std::string& action) {
    return store_->read([&](SQLite::Database& db) {
      SQLite::Statement q(db, "SELECT count(*) FROM audit WHERE action = ?");
      q.bind(1, action);
      q.executeStep();
      return q.getColumn(0).getInt64();
    });
  }

  void advance(std::chrono::seconds by) { now_ += by; }

  // The peer address the next calls come from.
  std::string source_ = "127.0.0.1";

  TempDir dir_;
  config::Policy policy_;
  std::unique_ptr<broker::Store> store_;
  ca::Bytes data_key_;
  approvals::TimePoint now_ = approvals::from_unix_seconds(1'800'000'000);
  std::unique_ptr<broker::IdentityService> identity_;
  broker::Router router_;
  std::vector<std::string> passkey_events_;  // webhook events of the passkey routes, in order
};

}  // namespace jit::testing
