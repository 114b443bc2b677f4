#include "tests/support/api_fixture.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>

namespace jit::testing {

std::string code_of(const Answer& answer) {
  const auto* object = answer.body.if_object();
  const auto* code = object ? object->if_contains("code") : nullptr;
  return code && code->is_string() ? std::string(code->as_string()) : "";
}

std::string str(const boost::json::value& value, std::string_view key) {
  return std::string(value.at(key).as_string());
}

ApiFixture::ApiFixture(std::string_view policy_yaml)
    : policy_(config::parse_policy(policy_yaml, "policy.yaml", config::Limits{})),
      store_(broker::Store::open(dir_ / "broker.db", test_audit_key())),
      data_key_(test_data_key()) {
  identity_ = std::make_unique<broker::IdentityService>(*store_, policy_, data_key_, settings(),
                                                        [this] { return now_; });
  broker::add_auth_routes(router_, *identity_);
  broker::add_passkey_routes(router_, *identity_);
}

broker::AuthSettings ApiFixture::settings() {
  broker::AuthSettings s;
  s.lockout.max_failures = 5;
  s.lockout.base = std::chrono::seconds(60);
  // The clock only moves when a test moves it, so the login rate must never decide a test here.
  s.login_rate.per_source = {1.0, 1'000'000};
  s.login_rate.overall = {1.0, 1'000'000};
  return s;
}

ca::Bytes ApiFixture::enroll(const std::string& user, const std::string& password) {
  const auto result = broker::enroll_user(*store_, policy_, data_key_, user, password, false);
  const auto start = result.otpauth_uri.find("secret=") + 7;
  const auto end = result.otpauth_uri.find('&', start);
  auto secret = approvals::base32_decode(result.otpauth_uri.substr(start, end - start));
  return *secret;
}

std::string ApiFixture::totp(const ca::Bytes& secret) const {
  return *approvals::totp_code(secret, std::chrono::time_point_cast<std::chrono::seconds>(now_));
}

std::string ApiFixture::wrong_totp(const ca::Bytes& secret) const {
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(now_);
  std::vector<std::string> near;  // two steps either side: wider than the broker's window
  for (int step = -2; step <= 2; ++step) {
    near.push_back(*approvals::totp_code(secret, now + std::chrono::seconds(30 * step)));
  }
  for (int candidate = 0;; ++candidate) {
    auto code = std::to_string(candidate);
    code.insert(0, 6 - code.size(), '0');
    if (std::find(near.begin(), near.end(), code) == near.end()) return code;
  }
}

Answer ApiFixture::call(broker::http::verb method, std::string target,
                        const boost::json::value* body,
                        std::map<std::string, std::string> headers) {
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

std::int64_t ApiFixture::audit_count(const std::string& action) {
  return store_->read([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT count(*) FROM audit WHERE action = ?");
    q.bind(1, action);
    q.executeStep();
    return q.getColumn(0).getInt64();
  });
}

}  // namespace jit::testing

namespace jit::testing {

std::vector<std::string> ApiFixture::outbox_events() {
  return store_->read([](SQLite::Database& db) {
    SQLite::Statement query(db, "SELECT event FROM event_outbox ORDER BY seq");
    std::vector<std::string> names;
    while (query.executeStep()) names.push_back(query.getColumn(0).getString());
    return names;
  });
}

}  // namespace jit::testing
