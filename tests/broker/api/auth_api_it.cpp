// Identity end to end through the API handlers: password + TOTP or passkey, sessions, CSRF,
// lockout, replay, and presence (docs/architecture.md invariants 4-7).
#include "approvals/approvals_error.hpp"
#include "broker/auth/presence.hpp"
#include "tests/support/api_fixture.hpp"
#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace jit::broker {
namespace {

using namespace std::chrono_literals;
using jit::testing::Answer;
using jit::testing::ApiFixture;
namespace json = boost::json;
namespace sw = jit::testing;

class AuthApiTest : public ::testing::Test, public ApiFixture {
 protected:
  // A proof of presence checked and then spent in a transaction of its own, as an action's write
  // job would spend it.
  Result<Presence> spent(const Caller& caller, const json::value* mfa,
                         approvals::SessionFactor rule, approvals::ChallengePurpose purpose,
                         std::optional<approvals::ApprovalSubject> subject) {
    std::promise<Result<Presence>> promise;
    check_presence(*identity_, caller, mfa, rule, purpose, std::move(subject),
                   [&](Result<Presence> p) { promise.set_value(std::move(p)); });
    auto presence = promise.get_future().get();
    if (presence) {
      const auto ec =
          store_->write_sync([&](WriteContext& tx) { return spend_presence(tx, *presence); });
      if (ec) return ec;
    }
    return presence;
  }
};

// A sign-in without Sec-Fetch-Site (the CLI, scripts) gets the token and no cookie; a browser's
// gets the cookie instead (issue 14 E21, login_session_mode_it.cpp).
TEST_F(AuthApiTest, PasswordAndTotpGiveASessionToken) {
  const auto secret = enroll("alice", "hunter2hunter2");
  const auto answer = login("alice", "hunter2hunter2", totp(secret));
  ASSERT_EQ(answer.status, 200u) << answer.raw.body();
  EXPECT_EQ(answer.body.at("token").as_string().size(), 43u);
  EXPECT_EQ(answer.body.at("user").as_string(), "alice");
  EXPECT_TRUE(answer.raw[http::field::set_cookie].empty());
  const auto session = get("/v1/session", bearer(answer));
  ASSERT_EQ(session.status, 200u);
  EXPECT_EQ(session.body.at("user").as_string(), "alice");
  EXPECT_EQ(audit_count("login.success"), 1);
}

TEST_F(AuthApiTest, ATotpCodeIsAcceptedOnce) {
  const auto secret = enroll("alice", "apple orchard 17");
  const std::string code = totp(secret);
  ASSERT_EQ(login("alice", "apple orchard 17", code).status, 200u);
  const auto replay = login("alice", "apple orchard 17", code);
  EXPECT_EQ(replay.status, 401u);
  EXPECT_EQ(replay.body.at("code").as_string(), "unauthenticated");
  advance(30s);  // the next step's code works
  EXPECT_EQ(login("alice", "apple orchard 17", totp(secret)).status, 200u);
}

TEST_F(AuthApiTest, UnknownUserAndWrongPasswordFailAlikeAndCostAlike) {
  const auto secret = enroll("alice", "apple orchard 17");
  // The fastest of three tries each, so that a busy machine (parallel tests) does not decide it.
  const auto time_login = [&](const std::string& user, const std::string& password) {
    Answer answer;
    auto fastest = std::chrono::steady_clock::duration::max();
    for (int i = 0; i < 3; ++i) {
      const auto start = std::chrono::steady_clock::now();
      answer = login(user, password, totp(secret));
      fastest = std::min(fastest, std::chrono::steady_clock::now() - start);
    }
    return std::pair{answer, fastest};
  };
  const auto [wrong, wrong_time] = time_login("alice", "not-the-password");
  const auto [unknown, unknown_time] = time_login("nobody", "not-the-password");
  const auto [not_enrolled, not_enrolled_time] = time_login("bob", "not-the-password");
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_EQ(unknown.raw.body(), wrong.raw.body());
  EXPECT_EQ(not_enrolled.raw.body(), wrong.raw.body());
  // Every path pays one scrypt; allow generous noise, but never a fast path for unknown names.
  EXPECT_GT(unknown_time * 3, wrong_time);
  EXPECT_GT(not_enrolled_time * 3, wrong_time);
}

TEST_F(AuthApiTest, FiveFailuresLockTheAccountWithBackoffAndItIsAudited) {
  const auto secret = enroll("alice", "apple orchard 17");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(login("alice", "apple orchard 17", wrong_totp(secret)).status, 401u);
  EXPECT_EQ(audit_count("user.locked_out"), 1);
  // Right password and code, still locked.
  EXPECT_EQ(login("alice", "apple orchard 17", totp(secret)).status, 401u);
  advance(61s);
  EXPECT_EQ(login("alice", "apple orchard 17", totp(secret)).status, 200u);
}

TEST_F(AuthApiTest, AdminLockRefusesLoginAndEndsSessions) {
  const auto secret = enroll("alice", "apple orchard 17");
  const auto session = login("alice", "apple orchard 17", totp(secret));
  ASSERT_EQ(session.status, 200u);
  set_user_locked(*store_, "alice", true);
  EXPECT_EQ(get("/v1/session", bearer(session)).status, 401u);
  advance(30s);
  EXPECT_EQ(login("alice", "apple orchard 17", totp(secret)).status, 401u);
  set_user_locked(*store_, "alice", false);
  advance(30s);
  EXPECT_EQ(login("alice", "apple orchard 17", totp(secret)).status, 200u);
}

TEST_F(AuthApiTest, UserRemovedFromPolicyLosesAccessAtOnce) {
  const auto secret = enroll("alice", "apple orchard 17");
  const auto session = login("alice", "apple orchard 17", totp(secret));
  ASSERT_EQ(session.status, 200u);
  // The same database under a policy without alice.
  const auto smaller = config::parse_policy(R"yaml(
groups: { sre-leads: [carol, dave], developers: [bob] }
roles:
  r: { requestable_by: [developers], approvers: [sre-leads], approvals_required: 1, max_duration: 1h,
       ssh: { principals: [x] } }
)yaml",
                                            "policy.yaml", config::Limits{});
  IdentityService other(*store_, smaller, data_key_, settings(), [this] { return now_; });
  HttpRequest request;
  request.set(http::field::authorization,
              "Bearer " + std::string(session.body.at("token").as_string()));
  EXPECT_EQ(other.authenticate(request).error(), BrokerErrc::unauthenticated);
}

TEST_F(AuthApiTest, CookieCallsThatChangeStateNeedTheCsrfToken) {
  const auto secret = enroll("alice", "apple orchard 17");
  const auto session = login("alice", "apple orchard 17", totp(secret));
  const std::string cookie =
      "__Host-jit_session=" + std::string(session.body.at("token").as_string());
  EXPECT_EQ(get("/v1/session", {{"Cookie", cookie}}).status, 200u);
  const auto refused = post("/v1/logout", json::object{}, {{"Cookie", cookie}});
  EXPECT_EQ(refused.status, 403u);
  const auto wrong =
      post("/v1/logout", json::object{}, {{"Cookie", cookie}, {"X-CSRF-Token", "nope"}});
  EXPECT_EQ(wrong.status, 403u);
  const auto ok = post("/v1/logout", json::object{},
                       {{"Cookie", cookie},
                        {"X-CSRF-Token", std::string(session.body.at("csrf_token").as_string())}});
  EXPECT_EQ(ok.status, 200u);
  EXPECT_EQ(get("/v1/session", {{"Cookie", cookie}}).status, 401u);
}

TEST_F(AuthApiTest, SessionsEndWhenIdle) {
  const auto secret = enroll("alice", "apple orchard 17");
  const auto session = login("alice", "apple orchard 17", totp(secret));
  advance(14min);
  EXPECT_EQ(get("/v1/session", bearer(session)).status, 200u);
  store_->write_sync([](WriteContext&) { return boost::system::error_code{}; });  // flush the touch
  advance(14min);
  EXPECT_EQ(get("/v1/session", bearer(session)).status, 200u);
  store_->write_sync([](WriteContext&) { return boost::system::error_code{}; });
  advance(16min);
  EXPECT_EQ(get("/v1/session", bearer(session)).status, 401u);
}

TEST_F(AuthApiTest, MalformedLoginBodiesAreRefusedWith400) {
  EXPECT_EQ(post("/v1/login", json::object{{"user", "alice"}}).status, 400u);
  EXPECT_EQ(post("/v1/login", json::object{{"user", 5}, {"password", "x"}}).status, 400u);
  EXPECT_EQ(
      post("/v1/login", json::object{{"user", "a"}, {"password", "x"}, {"admin", true}}).status,
      400u);
  EXPECT_EQ(
      post("/v1/login", json::object{{"user", std::string(100, 'a')}, {"password", "x"}}).status,
      400u);
}

class PasskeyTest : public AuthApiTest {
 protected:
  // Registers a software passkey through the API, after a TOTP login, with a fresh TOTP code of
  // `secret` as the factor the registration needs.
  Answer register_passkey(const sw::SoftwareAuthenticator& key,
                          const std::map<std::string, std::string>& auth, const ca::Bytes& secret) {
    const auto options = post("/v1/webauthn/register/begin", json::object{}, auth);
    EXPECT_EQ(options.status, 200u) << options.raw.body();
    ca::Bytes challenge;
    EXPECT_TRUE(ca::base64url_decode_unpadded(
        std::string_view(options.body.at("challenge").as_string()), challenge));
    const auto client_data =
        sw::make_client_data("webauthn.create", challenge, "https://localhost:8443");
    const auto attestation = key.attestation_object(client_data, {});
    advance(30s);  // a TOTP step not used by the login
    return post("/v1/webauthn/register/finish",
                {{"client_data_json", ca::base64url_encode_unpadded(client_data)},
                 {"attestation_object", ca::base64url_encode_unpadded(attestation)},
                 {"mfa", {{"totp", totp(secret)}}}},
                auth);
  }

  Answer passkey_login(const sw::SoftwareAuthenticator& key, const std::string& user,
                       const std::string& password, std::uint32_t counter,
                       std::string origin = "https://localhost:8443") {
    const auto options = post("/v1/webauthn/login/begin", {{"user", user}});
    EXPECT_EQ(options.status, 200u);
    ca::Bytes challenge;
    EXPECT_TRUE(ca::base64url_decode_unpadded(
        std::string_view(options.body.at("challenge").as_string()), challenge));
    const auto client_data = sw::make_client_data("webauthn.get", challenge, origin);
    const auto assertion = key.get_assertion(client_data, {"localhost", 0x05, counter});
    return post(
        "/v1/webauthn/login/finish",
        {{"user", user},
         {"password", password},
         {"webauthn",
          {{"credential_id", ca::base64url_encode_unpadded(key.credential_id())},
           {"client_data_json", ca::base64url_encode_unpadded(client_data)},
           {"authenticator_data", ca::base64url_encode_unpadded(assertion.authenticator_data)},
           {"signature", ca::base64url_encode_unpadded(assertion.signature)}}}});
  }
};

TEST_F(PasskeyTest, RegisterThenSignInWithPasswordAndPasskey) {
  const auto secret = enroll("carol", "cedar forest 42");
  const auto session = login("carol", "cedar forest 42", totp(secret));
  const auto key = sw::SoftwareAuthenticator::es256();
  const auto registered = register_passkey(key, bearer(session), secret);
  ASSERT_EQ(registered.status, 201u) << registered.raw.body();
  EXPECT_EQ(audit_count("webauthn.register"), 1);
  const auto answer = passkey_login(key, "carol", "cedar forest 42", 1);
  ASSERT_EQ(answer.status, 200u) << answer.raw.body();
  EXPECT_EQ(get("/v1/session", bearer(answer)).body.at("has_passkey").as_bool(), true);
}

TEST_F(PasskeyTest, Ed25519PasskeyWorksToo) {
  const auto secret = enroll("carol", "cedar forest 42");
  const auto key = sw::SoftwareAuthenticator::eddsa();
  ASSERT_EQ(
      register_passkey(key, bearer(login("carol", "cedar forest 42", totp(secret))), secret).status,
      201u);
  EXPECT_EQ(passkey_login(key, "carol", "cedar forest 42", 7).status, 200u);
}

TEST_F(PasskeyTest, CounterGoingBackMarksTheCredentialAndRefusesIt) {
  const auto secret = enroll("carol", "cedar forest 42");
  const auto key = sw::SoftwareAuthenticator::es256();
  ASSERT_EQ(
      register_passkey(key, bearer(login("carol", "cedar forest 42", totp(secret))), secret).status,
      201u);
  ASSERT_EQ(passkey_login(key, "carol", "cedar forest 42", 10).status, 200u);
  EXPECT_EQ(passkey_login(key, "carol", "cedar forest 42", 9).status, 401u);
  EXPECT_EQ(audit_count("webauthn.counter_regressed"), 1);
  // Once marked, even a growing counter is refused until the user registers again.
  EXPECT_EQ(passkey_login(key, "carol", "cedar forest 42", 11).status, 401u);
}

TEST_F(PasskeyTest, WrongOriginAndWrongPasswordAreRefused) {
  const auto secret = enroll("carol", "cedar forest 42");
  const auto key = sw::SoftwareAuthenticator::es256();
  ASSERT_EQ(
      register_passkey(key, bearer(login("carol", "cedar forest 42", totp(secret))), secret).status,
      201u);
  EXPECT_EQ(passkey_login(key, "carol", "cedar forest 42", 1, "https://evil.example").status, 401u);
  EXPECT_EQ(passkey_login(key, "carol", "wrong", 2).status, 401u);
}

TEST_F(PasskeyTest, AnotherUsersPasskeyDoesNotLogYouIn) {
  const auto carol_secret = enroll("carol", "cedar forest 42");
  enroll("dave", "desert sunset 99");
  const auto key = sw::SoftwareAuthenticator::es256();
  ASSERT_EQ(register_passkey(key, bearer(login("carol", "cedar forest 42", totp(carol_secret))),
                             carol_secret)
                .status,
            201u);
  EXPECT_EQ(passkey_login(key, "dave", "desert sunset 99", 1).status, 401u);
}

TEST_F(PasskeyTest, PresenceForAnApprovalIsBoundToThatRequest) {
  const auto secret = enroll("carol", "cedar forest 42");
  const auto session = login("carol", "cedar forest 42", totp(secret));
  const auto key = sw::SoftwareAuthenticator::es256();
  ASSERT_EQ(register_passkey(key, bearer(session), secret).status, 201u);
  HttpRequest request;
  request.set(http::field::authorization,
              "Bearer " + std::string(session.body.at("token").as_string()));
  const auto caller = identity_->authenticate(request);
  ASSERT_TRUE(caller);

  const approvals::ApprovalSubject a{"req-a",
                                     "alice",
                                     "prod-db-read",
                                     1800,
                                     "migrate",
                                     "OPS-1",
                                     approvals::ApprovalDecision::approve};
  auto b = a;
  b.id = "req-b";
  const auto prove = [&](const approvals::ApprovalSubject& signed_for,
                         const approvals::ApprovalSubject& checked, std::uint32_t counter) {
    auto digest = approvals::decision_digest(signed_for);
    auto challenge = identity_->challenges().issue_for_request(*digest, "carol", now_);
    const auto client_data =
        sw::make_client_data("webauthn.get", *challenge, "https://localhost:8443");
    const auto assertion = key.get_assertion(client_data, {"localhost", 0x05, counter});
    json::value mfa = {
        {"webauthn",
         {{"credential_id", ca::base64url_encode_unpadded(key.credential_id())},
          {"client_data_json", ca::base64url_encode_unpadded(client_data)},
          {"authenticator_data", ca::base64url_encode_unpadded(assertion.authenticator_data)},
          {"signature", ca::base64url_encode_unpadded(assertion.signature)}}}};
    return spent(*caller, &mfa, approvals::SessionFactor::not_enough,
                 approvals::ChallengePurpose::approval, checked);
  };
  const auto good = prove(a, a, 1);
  ASSERT_TRUE(good) << good.error().message();
  ASSERT_TRUE(good->evidence);
  EXPECT_EQ(good->evidence->factor, approvals::MfaFactor::webauthn);
  const auto crossed = prove(a, b, 2);
  ASSERT_FALSE(crossed);
  EXPECT_EQ(crossed.error(), approvals::ApprovalsErrc::challenge_mismatch);
}

TEST_F(AuthApiTest, PresenceWithoutMfaAcceptsAFreshSessionOnlyWhereAllowed) {
  const auto secret = enroll("alice", "apple orchard 17");
  const auto session = login("alice", "apple orchard 17", totp(secret));
  HttpRequest request;
  request.set(http::field::authorization,
              "Bearer " + std::string(session.body.at("token").as_string()));
  auto caller = identity_->authenticate(request);
  ASSERT_TRUE(caller);
  const auto prove = [&](bool allow_fresh, const json::value* mfa) {
    return spent(
        *caller, mfa,
        allow_fresh ? approvals::SessionFactor::when_fresh : approvals::SessionFactor::not_enough,
        approvals::ChallengePurpose::presence, std::nullopt);
  };
  // Without a factor the answer is mfa_required (docs/api.md), as the routes always answered;
  // prove_presence itself used to say unauthenticated here.
  EXPECT_TRUE(prove(true, nullptr));  // create-request, mint
  EXPECT_EQ(prove(false, nullptr).error(),
            BrokerErrc::mfa_required);  // approve, deny, break-glass
  advance(6min);
  caller = identity_->authenticate(request);
  EXPECT_EQ(prove(true, nullptr).error(), BrokerErrc::mfa_required);  // no longer fresh
  const json::value mfa = {{"totp", totp(secret)}};
  const auto with_code = prove(false, &mfa);
  ASSERT_TRUE(with_code);
  EXPECT_EQ(with_code->evidence->factor, approvals::MfaFactor::totp);
  caller = identity_->authenticate(request);
  EXPECT_TRUE(prove(true, nullptr));  // the code renewed the session's MFA time
}

}  // namespace
}  // namespace jit::broker
