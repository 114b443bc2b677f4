// The issue's bad SSO inputs against the real provider (tests/sso/test_idp.js, whose test control
// breaks one thing at a time): its key set down or garbage, the provider stopped, a discovery
// document naming another issuer, an authorization code used twice, groups claims that are not a
// short list, and ID tokens altered on their way to the broker (another key, alg none, HS256 with
// the public key, wrong iss, aud or nonce, expired, nbf ahead). Each is refused with one line
// (docs/sso.md "When sign-in fails"), existing sessions keep working, and a refused login writes
// its audit record and nothing else.
#include "tests/broker/api/sso_api_fixture.hpp"

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)
namespace json = boost::json;
using sso_testing::sso_query_value;
using sso_testing::sso_set_cookies;
using sso_testing::SsoApiTest;

class SsoBadInputTest : public SsoApiTest {
 protected:
  // Every table a login may write, except the audit log: a refused login must leave them alone.
  std::string store_without_audit() {
    std::string counts;
    for (const char* table : {"sessions", "sso_identities", "credentials", "webauthn_credentials",
                              "login_failures", "event_outbox", "requests", "reviews"}) {
      counts += std::string(table) + "=" + std::to_string(api_.count_rows(table)) + " ";
    }
    return counts;
  }

  // Checks a refused login: its status, code and message, one audit record, nothing else.
  void expect_refused(const Answer& answer, unsigned status, const std::string& code,
                      const std::string& message) {
    EXPECT_EQ(answer.status, status) << answer.raw.body();
    EXPECT_EQ(code_of(answer), code) << answer.raw.body();
    EXPECT_EQ(answer.body.is_object() ? str(answer.body, "error") : "", message);
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }

  // The loopback flow's begin with a chosen PKCE verifier: returns (authorization URL, state).
  std::pair<std::string, std::string> cli_begin(const std::string& verifier) {
    auto begun = api_.post("/v1/auth/sso/corp/cli/begin",
                           {{"redirect_uri", "http://127.0.0.1:49152/callback"},
                            {"code_challenge", pkce_challenge(verifier)}});
    EXPECT_EQ(begun.status, 200u) << begun.raw.body();
    if (begun.status != 200) return {};
    return {str(begun.body, "authorization_url"), str(begun.body, "state")};
  }

  Answer cli_finish(const std::string& state, const std::string& code,
                    const std::string& verifier) {
    return api_.post("/v1/auth/sso/corp/cli/finish",
                     {{"state", state}, {"code", code}, {"code_verifier", verifier}});
  }
};

TEST_F(SsoBadInputTest, KeySetDownOrGarbageFailsNewLoginsAndKeepsSessions) {
  auto first = cli_sign_in("hank");
  ASSERT_EQ(first.status, 200u) << first.raw.body();
  const auto session = ApiFixture::bearer(first);
  // A new signing key, so the broker must fetch the key set again, which now fails.
  idp_->restart();
  idp_->control(R"({"jwks": "down"})");
  steady_now_ = steady_now_.load() + kJwksRefreshInterval;
  const auto store = store_without_audit();
  const auto audit = api_.count_rows("audit");
  expect_refused(cli_sign_in("hank"), 502, "idp_unavailable",
                 "the identity provider answered HTTP 503 for its signing keys");
  EXPECT_EQ(api_.get("/v1/session", session).status, 200u);

  idp_->control(R"({"jwks": "garbage"})");
  steady_now_ = steady_now_.load() + kJwksRefreshInterval;
  expect_refused(cli_sign_in("hank"), 502, "idp_unavailable",
                 "the identity provider's signing keys are not a valid JSON Web Key Set");
  EXPECT_EQ(api_.get("/v1/session", session).status, 200u);
  EXPECT_EQ(store_without_audit(), store);
  EXPECT_EQ(api_.count_rows("audit"), audit + 2);
  EXPECT_EQ(api_.audit_count("login.failure"), 2);

  // Mended at the provider: the next login after the refresh interval works, no restart.
  idp_->control(R"({"jwks": "normal"})");
  steady_now_ = steady_now_.load() + kJwksRefreshInterval;
  EXPECT_EQ(cli_sign_in("hank").status, 200u);
}

TEST_F(SsoBadInputTest, ProviderStoppedFailsNewLoginsAndKeepsSessions) {
  idp_->stop();
  // Nothing known about the provider yet: the discovery document cannot be had.
  auto cold = api_.get("/v1/auth/sso/corp/start");
  expect_refused(cold, 502, "idp_unavailable",
                 "the identity provider could not be reached for its discovery document");
  EXPECT_TRUE(sso_set_cookies(cold).empty());
  idp_->restart();

  auto first = cli_sign_in("hank");
  ASSERT_EQ(first.status, 200u) << first.raw.body();
  const auto session = ApiFixture::bearer(first);
  const std::string verifier = random_token() + "-stopped";
  const auto [url, state] = cli_begin(verifier);
  const auto back = idp_->sign_in(url, "hank");
  idp_->stop();  // between the user's sign-in and the code's redemption
  const auto store = store_without_audit();
  expect_refused(cli_finish(state, sso_query_value(back, "code"), verifier), 502, "idp_unavailable",
                 "the identity provider could not be reached for its token endpoint");
  EXPECT_EQ(api_.get("/v1/session", session).status, 200u);
  EXPECT_EQ(store_without_audit(), store);
  EXPECT_EQ(api_.audit_count("login.failure"), 1);
  idp_->restart();
}

TEST_F(SsoBadInputTest, DiscoveryNamingAnotherIssuerRefusesEveryFlow) {
  idp_->control(R"({"discovery_issuer": "https://idp.example.com"})");
  const auto store = store_without_audit();
  const std::string message =
      "the identity provider's discovery document names another issuer than " + idp_->issuer();
  expect_refused(api_.get("/v1/auth/sso/corp/start"), 502, "idp_unavailable", message);
  expect_refused(api_.post("/v1/auth/sso/corp/cli/begin",
                           {{"redirect_uri", "http://127.0.0.1:49152/callback"},
                            {"code_challenge", pkce_challenge(random_token())}}),
                 502, "idp_unavailable", message);
  expect_refused(api_.post("/v1/auth/sso/corp/device/begin", json::object{}), 502,
                 "idp_unavailable", message);
  EXPECT_EQ(store_without_audit(), store);
  // Nothing of the bad document was kept: once the provider is right, sign-in works.
  idp_->control(R"({"discovery_issuer": null})");
  EXPECT_EQ(cli_sign_in("hank").status, 200u);
}

TEST_F(SsoBadInputTest, CodeUsedTwiceIsRefusedByTheProvider) {
  // The second use comes with a fresh state and the same verifier, so only the code is at fault.
  const std::string verifier = random_token() + "-code-twice";
  const auto [url, state] = cli_begin(verifier);
  const auto code = sso_query_value(idp_->sign_in(url, "hank"), "code");
  auto first = cli_finish(state, code, verifier);
  ASSERT_EQ(first.status, 200u) << first.raw.body();
  const auto store = store_without_audit();
  const auto again = cli_begin(verifier);
  expect_refused(cli_finish(again.second, code, verifier), 401, "sso_code_rejected",
                 "the identity provider refused the code (used twice, expired, or not for this "
                 "login)");
  EXPECT_EQ(store_without_audit(), store);
  EXPECT_EQ(api_.audit_count("login.failure"), 1);
  EXPECT_EQ(api_.get("/v1/session", ApiFixture::bearer(first)).status, 200u);
}

// `count` group names a real directory could have, idp-sre-leads among them, as a JSON list.
std::string sso_many_groups(int count) {
  std::string many = "[";
  for (int i = 0; i < count; ++i) many += "\"idp-team-" + std::to_string(10'000 + i) + "\",";
  return many + "\"idp-sre-leads\"]";
}

TEST_F(SsoBadInputTest, GroupsClaimOfTenThousandOrNotAListIsRefused) {
  // 10,000 names make an ID token far over the 64 KiB the broker reads; 1,500 short ones fit in
  // the token but not under the 1,000 groups a login may map; a plain string is not a list.
  idp_->set_users(R"({"gina": {"groups": )" + sso_many_groups(10'000) +
                  R"(}, "ivan": {"groups": )" + sso_many_groups(1'500) +
                  R"(}, "hank": {"groups": "idp-developers"}})");
  const auto store = store_without_audit();
  expect_refused(
      cli_sign_in("gina"), 401, "id_token_too_large",
      "the identity provider's ID token is larger than 64 KiB; map fewer groups into it");
  const std::string message =
      "the identity provider's groups claim is not a list of at most 1000 group names";
  expect_refused(cli_sign_in("ivan"), 403, "sso_identity_refused", message);
  expect_refused(cli_sign_in("hank"), 403, "sso_identity_refused", message);
  EXPECT_EQ(store_without_audit(), store);
  EXPECT_EQ(api_.audit_count("login.failure"), 3);
}

TEST_F(SsoBadInputTest, UserNameBreakingTheNameRulesIsRefused) {
  idp_->set_users(R"({"bad name": {"groups": ["idp-developers"]},
                      "mallory": {"preferred_username": "../root", "groups": []}})");
  const auto store = store_without_audit();
  const std::string message =
      "the identity provider's preferred_username (or email) is not a valid user name here";
  expect_refused(cli_sign_in("bad name"), 403, "sso_identity_refused", message);
  expect_refused(cli_sign_in("mallory"), 403, "sso_identity_refused", message);
  EXPECT_EQ(store_without_audit(), store);
  EXPECT_EQ(api_.audit_count("login.failure"), 2);
}

TEST_F(SsoBadInputTest, AlteredIdTokensAreRefused) {
  struct AlteredToken {
    const char* mode;
    const char* code;
    const char* message;
  };
  constexpr const char* kDidNotVerify = "the identity provider's ID token did not verify";
  constexpr const char* kNotValidNow =
      "the identity provider's ID token is expired or not yet valid";
  const AlteredToken cases[] = {
      {"other_key", "id_token_invalid", kDidNotVerify},
      {"alg_none", "id_token_invalid", kDidNotVerify},
      {"hs256_public_key", "id_token_invalid", kDidNotVerify},
      {"wrong_iss", "id_token_invalid", kDidNotVerify},
      {"wrong_aud", "id_token_invalid", kDidNotVerify},
      {"wrong_nonce", "id_token_invalid", kDidNotVerify},
      {"expired", "id_token_expired", kNotValidNow},
      {"nbf_future", "id_token_expired", kNotValidNow},
  };
  const auto store = store_without_audit();
  for (const auto& altered : cases) {
    SCOPED_TRACE(altered.mode);
    idp_->control(std::string(R"({"id_token": ")") + altered.mode + "\"}");
    expect_refused(cli_sign_in("hank"), 401, altered.code, altered.message);
  }
  EXPECT_EQ(store_without_audit(), store);
  EXPECT_EQ(api_.audit_count("login.failure"), static_cast<std::int64_t>(std::size(cases)));
  // The same provider unaltered: the login works.
  idp_->control(R"({"id_token": "normal"})");
  EXPECT_EQ(cli_sign_in("hank").status, 200u);
}

}  // namespace
}  // namespace jit::broker
