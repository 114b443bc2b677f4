// Where a sign-in's session goes (issue 14 E21): a browser's sign-in (it sends Sec-Fetch-Site, or
// the page asks with "session": "cookie") gets the HttpOnly cookie and no bearer token in the
// body, so no script on the page can read the session; the CLI and scripts get the token and no
// cookie.
#include "tests/support/api_fixture.hpp"
#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using jit::testing::Answer;
using jit::testing::ApiFixture;
namespace json = boost::json;
namespace sw = jit::testing;
using Headers = std::map<std::string, std::string>;

constexpr const char* kSessionModePassword = "correct horse battery";

class LoginSessionModeTest : public ::testing::Test, public ApiFixture {
 protected:
  Answer login_with(const ca::Bytes& secret, json::object extra, Headers headers) {
    json::object body{
        {"user", "carol"}, {"password", kSessionModePassword}, {"mfa", {{"totp", totp(secret)}}}};
    for (auto& [key, value] : extra) body[key] = value;
    advance(std::chrono::seconds(30));  // a TOTP code counts once
    return post("/v1/login", body, std::move(headers));
  }

  // The session cookie ("__Host-jit_session=VALUE") that a Set-Cookie answer carries.
  static std::string cookie_of(const Answer& answer) {
    const std::string header(answer.raw[http::field::set_cookie]);
    return header.substr(0, header.find(';'));
  }

  static void expect_browser_session(const Answer& answer, ApiFixture& f) {
    ASSERT_EQ(answer.status, 200u) << answer.raw.body();
    EXPECT_FALSE(answer.body.as_object().contains("token")) << answer.raw.body();
    EXPECT_EQ(answer.body.at("user").as_string(), "carol");
    const std::string set_cookie(answer.raw[http::field::set_cookie]);
    ASSERT_TRUE(set_cookie.starts_with("__Host-jit_session=")) << set_cookie;
    // The session's value appears nowhere in the body.
    EXPECT_EQ(answer.raw.body().find(cookie_of(answer).substr(19)), std::string::npos);
    for (const char* flag : {"Secure", "HttpOnly", "SameSite=Strict", "Path=/"}) {
      EXPECT_NE(set_cookie.find(flag), std::string::npos) << flag;
    }
    // The cookie is the session, and state changes through it need the CSRF token of the answer.
    const Headers cookie{{"Cookie", cookie_of(answer)}};
    EXPECT_EQ(f.get("/v1/session", cookie).status, 200u);
    Headers with_csrf = cookie;
    with_csrf["X-CSRF-Token"] = std::string(answer.body.at("csrf_token").as_string());
    EXPECT_EQ(f.post("/v1/logout", json::object{}, with_csrf).status, 200u);
    EXPECT_EQ(f.get("/v1/session", cookie).status, 401u);
  }
};

TEST_F(LoginSessionModeTest, ABrowserSignInGetsTheCookieAndNoToken) {
  const auto secret = enroll("carol", kSessionModePassword);
  for (const char* site : {"same-origin", "same-site", "none", "cross-site"}) {
    SCOPED_TRACE(site);
    expect_browser_session(login_with(secret, {}, {{"Sec-Fetch-Site", site}}), *this);
  }
}

TEST_F(LoginSessionModeTest, ThePageMayAskForACookieSessionExplicitly) {
  const auto secret = enroll("carol", kSessionModePassword);
  expect_browser_session(login_with(secret, {{"session", "cookie"}}, {}), *this);
  const auto unknown = login_with(secret, {{"session", "jwt"}}, {});
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(unknown.body.at("code").as_string(), "invalid_input");
}

TEST_F(LoginSessionModeTest, TheCliGetsTheTokenAndNoCookie) {
  const auto secret = enroll("carol", kSessionModePassword);
  for (json::object extra : {json::object{}, json::object{{"session", "token"}}}) {
    const auto answer = login_with(secret, extra, {});
    ASSERT_EQ(answer.status, 200u) << answer.raw.body();
    EXPECT_EQ(answer.body.at("token").as_string().size(), 43u);
    EXPECT_TRUE(answer.raw[http::field::set_cookie].empty()) << answer.raw[http::field::set_cookie];
    EXPECT_EQ(get("/v1/session", bearer(answer)).status, 200u);
  }
}

TEST_F(LoginSessionModeTest, APasskeySignInFromABrowserGetsNoTokenEither) {
  const auto secret = enroll("carol", kSessionModePassword);
  const auto auth = bearer(login_with(secret, {}, {}));
  const auto key = sw::SoftwareAuthenticator::es256();
  const auto options = post("/v1/webauthn/register/begin", json::object{}, auth);
  ASSERT_EQ(options.status, 200u) << options.raw.body();
  ca::Bytes challenge;
  ASSERT_TRUE(ca::base64url_decode_unpadded(
      std::string_view(options.body.at("challenge").as_string()), challenge));
  auto client_data = sw::make_client_data("webauthn.create", challenge, "https://localhost:8443");
  advance(
      std::chrono::seconds(30));  // registration needs a factor: a TOTP step the login did not use
  ASSERT_EQ(post("/v1/webauthn/register/finish",
                 {{"client_data_json", ca::base64url_encode_unpadded(client_data)},
                  {"attestation_object",
                   ca::base64url_encode_unpadded(key.attestation_object(client_data, {}))},
                  {"mfa", {{"totp", totp(secret)}}}},
                 auth)
                .status,
            201u);

  const auto begin = post("/v1/webauthn/login/begin", {{"user", "carol"}});
  ASSERT_EQ(begin.status, 200u) << begin.raw.body();
  ASSERT_TRUE(ca::base64url_decode_unpadded(
      std::string_view(begin.body.at("challenge").as_string()), challenge));
  client_data = sw::make_client_data("webauthn.get", challenge, "https://localhost:8443");
  const auto assertion = key.get_assertion(client_data, {"localhost", 0x05, 1});
  const auto answer =
      post("/v1/webauthn/login/finish",
           {{"user", "carol"},
            {"password", kSessionModePassword},
            {"webauthn",
             {{"credential_id", ca::base64url_encode_unpadded(key.credential_id())},
              {"client_data_json", ca::base64url_encode_unpadded(client_data)},
              {"authenticator_data", ca::base64url_encode_unpadded(assertion.authenticator_data)},
              {"signature", ca::base64url_encode_unpadded(assertion.signature)}}}},
           {{"Sec-Fetch-Site", "same-origin"}});
  expect_browser_session(answer, *this);
}

}  // namespace
}  // namespace jit::broker
