// Single sign-on against a real OpenID provider (tests/sso/test_idp.js, npm oidc-provider over
// TLS): the page's code flow, the CLI's loopback and device endpoints, users made at first login,
// idp groups replaced at each login, key rotation, and the MFA rules for SSO sessions
// (docs/sso.md). The broker's API runs in-process (AccessFixture) with a real io_context for its
// outgoing HTTPS; one provider process serves the whole suite.
#include "tests/broker/api/sso_api_fixture.hpp"
#include "tests/support/software_authenticator.hpp"

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)
namespace json = boost::json;
using sso_testing::sso_path_of;
using sso_testing::sso_set_cookie_line;
using sso_testing::sso_set_cookies;
using sso_testing::SsoApiTest;

TEST_F(SsoApiTest, PageCodeFlowOpensACookieSessionForANewUser) {
  auto listed = api_.get("/v1/auth/sso");
  ASSERT_EQ(listed.status, 200u);
  EXPECT_EQ(json::serialize(listed.body),
            R"({"providers":[{"name":"corp","display_name":"Corp IdP"}]})");

  auto started = api_.get("/v1/auth/sso/corp/start");
  ASSERT_EQ(started.status, 302u);
  const std::string location(started.raw[http::field::location]);
  EXPECT_TRUE(location.starts_with(idp_->issuer() + "/auth?response_type=code&")) << location;
  EXPECT_NE(location.find("code_challenge_method=S256"), std::string::npos);
  EXPECT_NE(location.find("redirect_uri=https%3A%2F%2F127.0.0.1%3A8443%2Fv1%2Fauth%2Fsso%2Fcorp%"
                          "2Fcallback"),
            std::string::npos);
  const auto binding = sso_set_cookie_line(started, "__Host-jit_sso=");
  EXPECT_NE(binding.find("HttpOnly"), std::string::npos) << binding;
  EXPECT_NE(binding.find("Secure"), std::string::npos);
  EXPECT_NE(binding.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(binding.find("Path=/"), std::string::npos);

  auto callback = web_sign_in("gina");
  ASSERT_EQ(callback.status, 302u) << callback.raw.body();
  EXPECT_EQ(callback.raw[http::field::location], "/#request=abc");
  EXPECT_NE(sso_set_cookie_line(callback, "__Host-jit_session=").find("HttpOnly"),
            std::string::npos);
  const auto headers = page_headers(callback);
  auto session = api_.get("/v1/session", headers);
  ASSERT_EQ(session.status, 200u) << session.raw.body();
  EXPECT_EQ(str(session.body, "user"), "gina");
  EXPECT_EQ(json::serialize(session.body.at("groups")), R"(["sre-leads"])");
  EXPECT_TRUE(is_approver(headers));
  // The CSRF token handed over in the cookie works for a state-changing call.
  EXPECT_EQ(api_.post("/v1/logout", json::object{}, headers).status, 200u);

  EXPECT_EQ(api_.count_rows("sso_identities"), 1);
  EXPECT_EQ(api_.audit_count("user.provisioned"), 1);
  auto login = api_.store_->read([](SQLite::Database& db) {
    return db.execAndGet("SELECT details FROM audit WHERE action = 'login.success'").getString();
  });
  auto details = json::parse(login).as_object();
  EXPECT_EQ(details.at("provider"), "corp");
  EXPECT_EQ(details.at("sub"), "gina");
  EXPECT_EQ(json::serialize(details.at("amr")), R"(["pwd","otp"])");
  EXPECT_TRUE(details.contains("auth_time"));
  EXPECT_EQ(details.at("mfa"), true);
}

TEST_F(SsoApiTest, StateIsSingleUseAndBoundToTheBrowser) {
  auto started = api_.get("/v1/auth/sso/corp/start");
  const auto binding = sso_set_cookies(started)["__Host-jit_sso"];
  const auto back = idp_->sign_in(std::string(started.raw[http::field::location]), "gina");
  // Another browser (no binding cookie, or another one) cannot finish it, and spends it.
  auto stranger = api_.get(sso_path_of(back), {{"Cookie", "__Host-jit_sso=" + random_token()}});
  EXPECT_EQ(stranger.status, 400u);
  EXPECT_EQ(code_of(stranger), "sso_binding_mismatch");
  auto replayed = api_.get(sso_path_of(back), {{"Cookie", "__Host-jit_sso=" + binding}});
  EXPECT_EQ(replayed.status, 400u);
  EXPECT_EQ(code_of(replayed), "invalid_state");

  auto fresh = api_.get("/v1/auth/sso/corp/start");
  const auto fresh_back = idp_->sign_in(std::string(fresh.raw[http::field::location]), "gina");
  EXPECT_EQ(code_of(api_.get(sso_path_of(fresh_back))), "sso_binding_mismatch");

  auto wrong_state = api_.get("/v1/auth/sso/corp/callback?code=abc&state=" + random_token());
  EXPECT_EQ(code_of(wrong_state), "invalid_state");
  EXPECT_EQ(code_of(api_.get("/v1/auth/sso/corp/callback?code=abc")), "invalid_state");
  EXPECT_EQ(api_.get("/v1/auth/sso/other/start").status, 404u);
  EXPECT_EQ(api_.count_rows("sessions"), 0);
}

TEST_F(SsoApiTest, ReplayedCallbackIsRefusedAfterASuccess) {
  auto started = api_.get("/v1/auth/sso/corp/start");
  const auto binding = sso_set_cookies(started)["__Host-jit_sso"];
  const auto back = idp_->sign_in(std::string(started.raw[http::field::location]), "hank");
  auto first = api_.get(sso_path_of(back), {{"Cookie", "__Host-jit_sso=" + binding}});
  ASSERT_EQ(first.status, 302u) << first.raw.body();
  auto second = api_.get(sso_path_of(back), {{"Cookie", "__Host-jit_sso=" + binding}});
  EXPECT_EQ(second.status, 400u);
  EXPECT_EQ(code_of(second), "invalid_state");
  EXPECT_EQ(api_.count_rows("sessions"), 1);
}

TEST_F(SsoApiTest, CliLoopbackFinishGivesABearerSession) {
  auto finished = cli_sign_in("hank");
  ASSERT_EQ(finished.status, 200u) << finished.raw.body();
  EXPECT_EQ(str(finished.body, "user"), "hank");
  auto session = api_.get("/v1/session", ApiFixture::bearer(finished));
  ASSERT_EQ(session.status, 200u);
  EXPECT_EQ(json::serialize(session.body.at("groups")), R"(["developers"])");
  // hank may now request the role the provider's group gives him.
  auto created =
      api_.post("/v1/requests", {{"role", "prod-db-read"}, {"reason", "r"}, {"duration", "30m"}},
                ApiFixture::bearer(finished));
  EXPECT_EQ(created.status, 201u) << created.raw.body();
}

TEST_F(SsoApiTest, CliBeginAndFinishRefuseBadInput) {
  const auto challenge = pkce_challenge(random_token());
  for (const char* uri : {"https://127.0.0.1:5000/callback", "http://example.com:5000/callback",
                          "http://127.0.0.1:5000/other", "http://127.0.0.1/callback",
                          "http://127.0.0.1:99999/callback"}) {
    auto begun = api_.post("/v1/auth/sso/corp/cli/begin",
                           {{"redirect_uri", uri}, {"code_challenge", challenge}});
    EXPECT_EQ(begun.status, 400u) << uri;
  }
  auto begun =
      api_.post("/v1/auth/sso/corp/cli/begin",
                {{"redirect_uri", "http://[::1]:5000/callback"}, {"code_challenge", challenge}});
  ASSERT_EQ(begun.status, 200u) << begun.raw.body();
  auto wrong_verifier =
      api_.post("/v1/auth/sso/corp/cli/finish", {{"state", str(begun.body, "state")},
                                                 {"code", "some-code"},
                                                 {"code_verifier", random_token()}});
  EXPECT_EQ(code_of(wrong_verifier), "invalid_verifier");
  auto reused = api_.post("/v1/auth/sso/corp/cli/finish", {{"state", str(begun.body, "state")},
                                                           {"code", "some-code"},
                                                           {"code_verifier", random_token()}});
  EXPECT_EQ(code_of(reused), "invalid_state");
}

TEST_F(SsoApiTest, DeviceGrantWaitsForTheUser) {
  auto begun = api_.post("/v1/auth/sso/corp/device/begin", json::object{});
  ASSERT_EQ(begun.status, 200u) << begun.raw.body();
  EXPECT_TRUE(str(begun.body, "verification_uri").starts_with(idp_->issuer()));
  EXPECT_FALSE(str(begun.body, "user_code").empty());
  const auto handle = str(begun.body, "device_handle");
  auto pending = api_.post("/v1/auth/sso/corp/device/poll", {{"device_handle", handle}});
  EXPECT_EQ(pending.status, 202u) << pending.raw.body();
  EXPECT_EQ(str(pending.body, "status"), "authorization_pending");
  // Faster than the provider's interval: told to slow down without asking the provider.
  auto hurried = api_.post("/v1/auth/sso/corp/device/poll", {{"device_handle", handle}});
  EXPECT_EQ(hurried.status, 202u);
  EXPECT_EQ(str(hurried.body, "status"), "slow_down");
  auto unknown = api_.post("/v1/auth/sso/corp/device/poll", {{"device_handle", random_token()}});
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(str(unknown.body, "error"), "expired_token");
}

TEST_F(SsoApiTest, LosingTheIdpGroupTakesApprovePowerAtTheNextLogin) {
  auto alice = api_.sign_in("alice");  // a local user; developers is an idp group now
  api_.policy_.idp_members->set("alice", {"developers"});
  auto created = api_.post("/v1/requests",
                           {{"role", "prod-db-read"}, {"reason", "r"}, {"duration", "30m"}}, alice);
  ASSERT_EQ(created.status, 201u) << created.raw.body();
  const auto id = str(created.body, "id");

  auto first = cli_sign_in("gina");
  ASSERT_EQ(first.status, 200u) << first.raw.body();
  EXPECT_TRUE(is_approver(ApiFixture::bearer(first)));
  // An SSO session alone cannot approve: a factor of the broker's own is needed in the call.
  auto bare =
      api_.post("/v1/requests/" + id + "/approve", json::object{}, ApiFixture::bearer(first));
  EXPECT_EQ(bare.status, 401u) << bare.raw.body();
  EXPECT_EQ(code_of(bare), "mfa_required");
  auto guessed = api_.post("/v1/requests/" + id + "/approve", {{"mfa", {{"totp", "123456"}}}},
                           ApiFixture::bearer(first));
  EXPECT_EQ(guessed.status, 401u) << guessed.raw.body();

  idp_->set_users(R"({"gina": {"groups": ["unmapped-team"]}})");
  auto second = cli_sign_in("gina");
  ASSERT_EQ(second.status, 200u) << second.raw.body();
  EXPECT_FALSE(is_approver(ApiFixture::bearer(second)));
  // The first session, too: membership is the user's, taken at the latest login.
  EXPECT_FALSE(is_approver(ApiFixture::bearer(first)));
  auto refused =
      api_.post("/v1/requests/" + id + "/approve", json::object{}, ApiFixture::bearer(second));
  EXPECT_EQ(refused.status, 403u) << refused.raw.body();
  EXPECT_EQ(api_.count_rows("sso_identities"), 1);
}

TEST_F(SsoApiTest, SsoUserRegistersAPasskeyAndApprovesWithIt) {
  namespace sw = jit::testing;
  auto alice = api_.sign_in("alice");
  api_.policy_.idp_members->set("alice", {"developers"});
  auto created = api_.post("/v1/requests",
                           {{"role", "prod-db-read"}, {"reason", "r"}, {"duration", "30m"}}, alice);
  ASSERT_EQ(created.status, 201u) << created.raw.body();
  const auto id = str(created.body, "id");

  auto gina = cli_sign_in("gina", "pwd,otp");
  ASSERT_EQ(gina.status, 200u) << gina.raw.body();
  const auto headers = ApiFixture::bearer(gina);
  const auto key = sw::SoftwareAuthenticator::es256();
  const auto origin = std::string("https://localhost:8443");
  const auto register_key = [&](const sw::SoftwareAuthenticator& authenticator) {
    const auto options = api_.post("/v1/webauthn/register/begin", json::object{}, headers);
    EXPECT_EQ(options.status, 200u) << options.raw.body();
    ca::Bytes challenge;
    EXPECT_TRUE(ca::base64url_decode_unpadded(
        std::string_view(options.body.at("challenge").as_string()), challenge));
    const auto client_data = sw::make_client_data("webauthn.create", challenge, origin);
    return api_.post(
        "/v1/webauthn/register/finish",
        {{"client_data_json", ca::base64url_encode_unpadded(client_data)},
         {"attestation_object",
          ca::base64url_encode_unpadded(authenticator.attestation_object(client_data, {}))}},
        headers);
  };
  // The first factor of a user without any: the fresh MFA login vouches for it.
  EXPECT_EQ(api_.get("/v1/session", headers).body.at("has_factor"), false);
  auto first = register_key(key);
  ASSERT_EQ(first.status, 201u) << first.raw.body();
  EXPECT_EQ(api_.get("/v1/session", headers).body.at("has_factor"), true);
  // A second one needs a factor in the call, like everyone's.
  EXPECT_EQ(register_key(sw::SoftwareAuthenticator::es256()).status, 401u);

  const auto options =
      api_.post("/v1/requests/" + id + "/webauthn/begin", {{"decision", "approve"}}, headers);
  ASSERT_EQ(options.status, 200u) << options.raw.body();
  ca::Bytes challenge;
  ASSERT_TRUE(ca::base64url_decode_unpadded(
      std::string_view(options.body.at("challenge").as_string()), challenge));
  const auto client_data = sw::make_client_data("webauthn.get", challenge, origin);
  const auto assertion = key.get_assertion(client_data, {"localhost", 0x05, 1});
  const json::object mfa{
      {"webauthn",
       {{"credential_id", ca::base64url_encode_unpadded(key.credential_id())},
        {"client_data_json", ca::base64url_encode_unpadded(client_data)},
        {"authenticator_data", ca::base64url_encode_unpadded(assertion.authenticator_data)},
        {"signature", ca::base64url_encode_unpadded(assertion.signature)}}}};
  auto approved = api_.post("/v1/requests/" + id + "/approve", {{"mfa", mfa}}, headers);
  ASSERT_EQ(approved.status, 200u) << approved.raw.body();
  EXPECT_EQ(str(approved.body, "state"), "active");

  // The review's evidence says how the provider signed the approver in.
  const auto evidence = api_.store_->read([](SQLite::Database& db) {
    return db.execAndGet("SELECT mfa_evidence FROM reviews").getString();
  });
  const auto sso = json::parse(evidence).at("sso");
  EXPECT_EQ(sso.at("provider"), "corp");
  EXPECT_EQ(sso.at("sub"), "gina");
  EXPECT_EQ(json::serialize(sso.at("amr")), R"(["pwd","otp"])");
  EXPECT_TRUE(sso.as_object().contains("auth_time"));
  EXPECT_EQ(json::parse(evidence).at("factor"), "webauthn");
}

TEST_F(SsoApiTest, LoginMfaCountsOnlyWithAnAllowedAmr) {
  auto weak = cli_sign_in("gina", "pwd");
  ASSERT_EQ(weak.status, 200u) << weak.raw.body();
  auto weak_register =
      api_.post("/v1/webauthn/register/begin", json::object{}, ApiFixture::bearer(weak));
  EXPECT_EQ(weak_register.status, 401u);
  auto strong = cli_sign_in("gina", "pwd,hwk");
  ASSERT_EQ(strong.status, 200u) << strong.raw.body();
  auto strong_register =
      api_.post("/v1/webauthn/register/begin", json::object{}, ApiFixture::bearer(strong));
  EXPECT_EQ(strong_register.status, 200u) << strong_register.raw.body();
}

TEST_F(SsoApiTest, SsoNeverTakesOverALocalUserOrABadName) {
  api_.sign_in("alice");  // enrolled with a password
  auto taken = cli_sign_in("alice");
  EXPECT_EQ(taken.status, 409u) << taken.raw.body();
  EXPECT_EQ(code_of(taken), "sso_user_conflict");
  auto bad = cli_sign_in("bad name");
  EXPECT_EQ(bad.status, 403u) << bad.raw.body();
  EXPECT_EQ(api_.count_rows("sso_identities"), 0);
  EXPECT_GE(api_.audit_count("login.failure"), 2);
  // A user made by SSO has no password to log in with.
  ASSERT_EQ(cli_sign_in("hank").status, 200u);
  auto password = api_.login("hank", "any password", "123456");
  EXPECT_EQ(password.status, 401u);
}

TEST_F(SsoApiTest, RotatedSigningKeyIsFetchedWithoutARestart) {
  ASSERT_EQ(cli_sign_in("hank").status, 200u);
  idp_->restart();  // same issuer, a new key with a new kid
  // Within the refresh interval the cached keys stand: the unknown kid fails the login.
  auto early = cli_sign_in("hank");
  EXPECT_EQ(early.status, 401u) << early.raw.body();
  EXPECT_EQ(code_of(early), "id_token_invalid");
  steady_now_ = steady_now_.load() + kJwksRefreshInterval;
  auto later = cli_sign_in("hank");
  EXPECT_EQ(later.status, 200u) << later.raw.body();
}

}  // namespace
}  // namespace jit::broker
