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
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"
#include "tests/support/test_policy.hpp"

#include <boost/json.hpp>

#include <future>
#include <map>
#include <string>
#include <vector>

namespace jit::testing {

// The demo policy (test_policy.hpp) most API tests run on.
inline const std::string kDemoPolicy = test_policy();

struct Answer {
  unsigned status = 0;
  boost::json::value body;
  broker::HttpResponse raw;
};

// The answer's error code (`{"code": ...}`), or "" when it has none.
std::string code_of(const Answer& answer);

// value[key] as a string (throws when it is missing or not a string: the test then fails).
std::string str(const boost::json::value& value, std::string_view key);

class ApiFixture {
 public:
  explicit ApiFixture(std::string_view policy_yaml = kDemoPolicy);

  static broker::AuthSettings settings();

  // Enrolls `user` with `password` and returns the TOTP secret from the otpauth URI.
  ca::Bytes enroll(const std::string& user,
                   const std::string& password = std::string(kTestPassword));

  std::string totp(const ca::Bytes& secret) const;
  // A well-formed code that matches none of `secret`'s steps near now_, so a "wrong code" case
  // cannot pass by chance (a fixed "000000" was one of the accepted codes once in ~300,000 runs).
  std::string wrong_totp(const ca::Bytes& secret) const;

  Answer call(broker::http::verb method, std::string target,
              const boost::json::value* body = nullptr,
              std::map<std::string, std::string> headers = {});
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

  std::int64_t audit_count(const std::string& action);
  // The events written to the outbox so far, in commit order.
  std::vector<std::string> outbox_events();

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
};

}  // namespace jit::testing
