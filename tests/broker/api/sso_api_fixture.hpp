// The in-process broker API with single sign-on against the real test provider
// (tests/sso/test_idp.js), shared by the SSO suites: SsoApiTest (sso_api_it.cpp) and
// SsoBadInputTest (sso_bad_input_it.cpp). One provider process per suite.
#pragma once

#include "broker/api/roles_api.hpp"
#include "broker/api/sso_api.hpp"
#include "broker/sso/sso_pending_logins.hpp"
#include "broker/sso/sso_service.hpp"
#include "tests/support/access_fixture.hpp"
#include "tests/support/test_identity_provider.hpp"

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace jit::broker::sso_testing {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;
using SsoHeaders = std::map<std::string, std::string>;

// gina and hank are in no policy file: the provider alone says who they are.
constexpr const char* kSsoIdpUsers = R"({
  "gina": {"groups": ["idp-sre-leads", "unmapped-team"]},
  "hank": {"groups": ["idp-developers"]},
  "alice": {"groups": ["idp-developers"]},
  "bad name": {"groups": []}
})";

constexpr const char* kSsoRedirectUri = "https://127.0.0.1:8443/v1/auth/sso/corp/callback";

inline std::string sso_path_of(const std::string& url) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

inline std::string sso_query_value(const std::string& url, const std::string& key) {
  const auto at = url.find(key + "=");
  if (at == std::string::npos) return {};
  const auto end = url.find('&', at);
  return url.substr(at + key.size() + 1,
                    end == std::string::npos ? std::string::npos : end - at - key.size() - 1);
}

// name=value of each Set-Cookie the answer carries.
inline std::map<std::string, std::string> sso_set_cookies(const Answer& answer) {
  std::map<std::string, std::string> cookies;
  for (const auto& field : answer.raw.base()) {
    if (field.name() != http::field::set_cookie) continue;
    const std::string value(field.value());
    const auto pair = value.substr(0, value.find(';'));
    const auto equals = pair.find('=');
    cookies[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  return cookies;
}

inline std::string sso_set_cookie_line(const Answer& answer, std::string_view name) {
  for (const auto& field : answer.raw.base()) {
    if (field.name() == http::field::set_cookie && field.value().starts_with(name)) {
      return std::string(field.value());
    }
  }
  return {};
}

// One approval, no reason or ticket needed.
inline std::string sso_test_policy() {
  TestPolicyOptions options;
  options.approvals_required = 1;
  options.full_profile = false;
  return test_policy(options);
}

class SsoApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { idp_ = new TestIdentityProvider(kSsoIdpUsers); }
  static void TearDownTestSuite() {
    delete idp_;
    idp_ = nullptr;
  }

  void SetUp() override {
    if (!idp_->running()) idp_->restart();  // a test stopped it and failed before restarting
    idp_->set_users(kSsoIdpUsers);
    idp_->control(R"({"jwks": "normal", "discovery_issuer": null, "id_token": "normal"})");
    // ID tokens carry the real time; the fixture's clock starts there.
    api_.now_ = std::chrono::time_point_cast<std::chrono::seconds>(approvals::Clock::now());
    // sre-leads and developers come from the provider; the file's members no longer count.
    api_.policy_.idp_groups = {"sre-leads", "developers"};
    config::OidcProviderSettings corp;
    corp.name = "corp";
    corp.display_name = "Corp IdP";
    corp.issuer = idp_->issuer();
    corp.client_id = TestIdentityProvider::kClientId;
    corp.client_secret_file = idp_->client_secret_file();
    corp.scopes = {"openid", "profile", "email", "groups"};
    corp.group_map = {{"idp-sre-leads", "sre-leads"}, {"idp-developers", "developers"}};
    corp.mfa_amr = {"otp", "hwk"};
    corp.redirect_uri = kSsoRedirectUri;
    corp.ca_file = idp_->ca_file();
    settings_.providers.push_back(corp);
    sso_ = std::make_unique<SsoService>(io_, *api_.identity_, settings_,
                                        [this] { return steady_now_.load(); });
    add_sso_routes(api_.router_, *sso_);
    add_role_routes(api_.router_, *api_.identity_);
    runner_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    work_.reset();
    runner_.join();
  }

  // The page's whole sign-in: start, the provider's login, the callback with the binding cookie.
  // Returns the callback's answer.
  Answer web_sign_in(const std::string& login, const std::string& amr = "pwd,otp") {
    auto started = api_.get("/v1/auth/sso/corp/start?next=/%23request%3Dabc");
    EXPECT_EQ(started.status, 302u) << started.raw.body();
    const auto binding = sso_set_cookies(started)["__Host-jit_sso"];
    const auto back = idp_->sign_in(std::string(started.raw[http::field::location]), login, amr);
    return api_.get(sso_path_of(back), {{"Cookie", "__Host-jit_sso=" + binding}});
  }

  // The session headers a page would send after the callback (cookie plus CSRF header).
  static SsoHeaders page_headers(const Answer& callback) {
    auto cookies = sso_set_cookies(callback);
    return {{"Cookie", "__Host-jit_session=" + cookies["__Host-jit_session"]},
            {"X-CSRF-Token", cookies["__Host-jit_sso_csrf"]}};
  }

  // The CLI's loopback sign-in; returns the finish answer.
  Answer cli_sign_in(const std::string& login, const std::string& amr = "pwd,otp") {
    const std::string verifier = random_token() + "-cli-verifier";
    auto begun = api_.post("/v1/auth/sso/corp/cli/begin",
                           {{"redirect_uri", "http://127.0.0.1:49152/callback"},
                            {"code_challenge", pkce_challenge(verifier)}});
    EXPECT_EQ(begun.status, 200u) << begun.raw.body();
    const auto back = idp_->sign_in(str(begun.body, "authorization_url"), login, amr);
    EXPECT_TRUE(back.starts_with("http://127.0.0.1:49152/callback?")) << back;
    EXPECT_EQ(sso_query_value(back, "state"), str(begun.body, "state"));
    return api_.post("/v1/auth/sso/corp/cli/finish", {{"state", str(begun.body, "state")},
                                                      {"code", sso_query_value(back, "code")},
                                                      {"code_verifier", verifier}});
  }

  bool is_approver(const SsoHeaders& headers) {
    auto roles = api_.get("/v1/roles", headers);
    EXPECT_EQ(roles.status, 200u) << roles.raw.body();
    for (const auto& role : roles.body.at("roles").as_array()) {
      if (role.at("name") == "prod-db-read") return role.at("approver").as_bool();
    }
    return false;
  }

  inline static TestIdentityProvider* idp_ = nullptr;
  AccessFixture api_{sso_test_policy()};
  config::SsoSettings settings_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::atomic<std::chrono::steady_clock::time_point> steady_now_{std::chrono::steady_clock::now()};
  std::unique_ptr<SsoService> sso_;
  std::thread runner_;
};

}  // namespace jit::broker::sso_testing
