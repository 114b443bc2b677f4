// Ceremonies across two brokers on one PostgreSQL database (docs/architecture.md, "Ceremonies
// across brokers"): behind a load balancer without affinity, the call that answers a WebAuthn
// challenge, or that finishes an SSO login, may reach another broker than the one that began it.
// Each test begins a ceremony at one broker, ends it at the other, and then replays the answer,
// which must be refused.
#include "broker/sso/sso_pending_logins.hpp"
#include "tests/broker/support/postgres_pair.hpp"
#include "tests/broker/support/sso_broker_config.hpp"
#include "tests/support/software_authenticator.hpp"
#include "tests/support/test_identity_provider.hpp"

namespace jit::broker {
namespace {

namespace sw = jit::testing;
using jit::testing::BrokerProcess;
using jit::testing::PostgresServer;
using jit::testing::TestIdentityProvider;
using testing_pg::Answer;
using testing_pg::PostgresPairTest;

// The brokers' default WebAuthn relying party (mfa.webauthn in broker.yaml).
constexpr std::string_view kOrigin = "https://localhost:8443";

std::string b64(ca::ByteView bytes) { return ca::base64url_encode_unpadded(bytes); }

// The value of `name` in the query of `url` (as the provider's redirect carries it).
std::string query_value(const std::string& url, const std::string& name) {
  const auto at = url.find(name + "=", url.find('?'));
  if (at == std::string::npos) return {};
  const auto start = at + name.size() + 1;
  return url.substr(start, url.find('&', start) - start);
}

std::string text_of(const Answer& answer, const char* member) {
  if (answer.first != 200u) return {};
  return std::string(boost::json::parse(answer.second).at(member).as_string());
}

ca::Bytes challenge_of(const Answer& options) {
  ca::Bytes challenge;
  EXPECT_EQ(options.first, 200u) << options.second;
  if (options.first == 200u) {
    EXPECT_TRUE(ca::base64url_decode_unpadded(
        std::string_view(boost::json::parse(options.second).at("challenge").as_string()),
        challenge));
  }
  return challenge;
}

class PostgresCeremoniesIt : public PostgresPairTest {
 protected:
  // register/begin at `begin_at`, register/finish at `finish_at`, as `user` (signed in).
  Answer register_passkey(const BrokerProcess& begin_at, const BrokerProcess& finish_at,
                          const std::string& user, const sw::SoftwareAuthenticator& key) {
    const auto challenge =
        challenge_of(call(begin_at, "/v1/webauthn/register/begin", user, boost::json::object{}));
    const auto client_data = sw::make_client_data("webauthn.create", challenge, kOrigin);
    return call(
        finish_at, "/v1/webauthn/register/finish", user,
        boost::json::object{{"client_data_json", b64(client_data)},
                            {"attestation_object", b64(key.attestation_object(client_data, {}))},
                            {"mfa", {{"totp", totp_for(user)}}}});
  }

  // The `webauthn` member of a factor: `key`'s assertion over the challenge of `options`.
  static boost::json::object assertion(const sw::SoftwareAuthenticator& key, const Answer& options,
                                       std::uint32_t counter) {
    const auto client_data = sw::make_client_data("webauthn.get", challenge_of(options), kOrigin);
    const auto signed_data = key.get_assertion(client_data, {"localhost", 0x05, counter});
    return {{"credential_id", b64(key.credential_id())},
            {"client_data_json", b64(client_data)},
            {"authenticator_data", b64(signed_data.authenticator_data)},
            {"signature", b64(signed_data.signature)}};
  }

  // Rows left in the shared table (none once every ceremony ended).
  std::int64_t pending_ceremonies() {
    auto store = open_store();
    const auto count = store->read([](db::Connection& db) {
      db::Statement query(db, "SELECT count(*) FROM pending_ceremonies");
      query.step();
      return query.get_int64(0);
    });
    store->close();
    return count;
  }
};

TEST_F(PostgresCeremoniesIt, APasskeyBegunAtOneBrokerIsRegisteredAndSignsInAtTheOther) {
  start_pair(PostgresServer::shared(), {"alice"});
  login(first_, "alice");
  const auto key = sw::SoftwareAuthenticator::es256();
  auto registered = register_passkey(second_, first_, "alice", key);
  ASSERT_EQ(registered.first, 201u) << registered.second << second_.errors();

  const auto options =
      call(first_, "/v1/webauthn/login/begin", "", boost::json::object{{"user", "alice"}});
  const boost::json::object body{{"user", "alice"},
                                 {"password", std::string(jit::testing::kTestPassword)},
                                 {"webauthn", assertion(key, options, 1)}};
  auto signed_in = call(second_, "/v1/webauthn/login/finish", "", body);
  ASSERT_EQ(signed_in.first, 200u) << signed_in.second << second_.errors();
  EXPECT_TRUE(boost::json::parse(signed_in.second).as_object().contains("token"));

  // The challenge is spent at both brokers: the one that issued it and the one that took it.
  for (const BrokerProcess* broker : {&first_, &second_}) {
    auto replayed = call(*broker, "/v1/webauthn/login/finish", "", body);
    EXPECT_EQ(replayed.first, 401u) << replayed.second;
  }
  EXPECT_EQ(pending_ceremonies(), 0);
}

TEST_F(PostgresCeremoniesIt, AnApprovalChallengeOfOneBrokerIsAnsweredAtTheOtherOnce) {
  start_pair(PostgresServer::shared(), {"alice", "carol", "dave"});
  for (const char* user : {"alice", "carol", "dave"}) login(first_, user);
  const auto key = sw::SoftwareAuthenticator::es256();
  ASSERT_EQ(register_passkey(first_, first_, "carol", key).first, 201u);
  const std::string id = request_access("ceremonies across brokers");
  ASSERT_FALSE(id.empty());

  const auto options = call(second_, "/v1/requests/" + id + "/webauthn/begin", "carol",
                            boost::json::object{{"decision", "approve"}});
  const boost::json::object body{{"comment", "from the other broker"},
                                 {"mfa", {{"webauthn", assertion(key, options, 1)}}}};
  auto approved = call(first_, "/v1/requests/" + id + "/approve", "carol", body);
  ASSERT_EQ(approved.first, 200u) << approved.second << first_.errors();

  auto again = call(second_, "/v1/requests/" + id + "/approve", "carol", body);
  EXPECT_NE(again.first, 200u) << again.second;
  // dave's approval still counts: the request was not consumed by the replay.
  auto [status, answer] = approve(second_, "dave", id);
  EXPECT_EQ(status, 200u) << answer;
  EXPECT_FALSE(grant_of(first_, id).empty());
  EXPECT_EQ(pending_ceremonies(), 0);
}

TEST_F(PostgresCeremoniesIt, AnSsoLoginBegunAtOneBrokerFinishesAtTheOtherOnce) {
  TestIdentityProvider idp(R"({"gina": {"groups": ["idp-sre-leads"]}})");
  start_pair(PostgresServer::shared(), {}, jit::testing::kSsoTestPolicy,
             jit::testing::sso_test_yaml(idp));
  const std::string verifier(64, 'v');  // the CLI's PKCE verifier (it never leaves the CLI)
  const auto begun = call(first_, "/v1/auth/sso/corp/cli/begin", "",
                          boost::json::object{{"redirect_uri", "http://127.0.0.1:9/callback"},
                                              {"code_challenge", pkce_challenge(verifier)}});
  ASSERT_EQ(begun.first, 200u) << begun.second << first_.errors();
  const auto back = idp.sign_in(text_of(begun, "authorization_url"), "gina");
  ASSERT_EQ(query_value(back, "state"), text_of(begun, "state")) << back;
  const boost::json::object finish{{"state", text_of(begun, "state")},
                                   {"code", query_value(back, "code")},
                                   {"code_verifier", verifier}};
  auto signed_in = call(second_, "/v1/auth/sso/corp/cli/finish", "", finish);
  ASSERT_EQ(signed_in.first, 200u) << signed_in.second << second_.errors();
  EXPECT_EQ(boost::json::parse(signed_in.second).at("user").as_string(), "gina");
  for (const BrokerProcess* broker : {&first_, &second_}) {
    auto replayed = call(*broker, "/v1/auth/sso/corp/cli/finish", "", finish);
    EXPECT_EQ(replayed.first, 400u) << replayed.second;
    EXPECT_NE(replayed.second.find("invalid_state"), std::string::npos) << replayed.second;
  }
  EXPECT_EQ(pending_ceremonies(), 0);
}

TEST_F(PostgresCeremoniesIt, ADeviceLoginBegunAtOneBrokerIsPolledAtTheOther) {
  TestIdentityProvider idp(R"({"gina": {"groups": ["idp-sre-leads"]}})");
  start_pair(PostgresServer::shared(), {}, jit::testing::kSsoTestPolicy,
             jit::testing::sso_test_yaml(idp));
  const auto begun = call(first_, "/v1/auth/sso/corp/device/begin", "", boost::json::object{});
  ASSERT_EQ(begun.first, 200u) << begun.second << first_.errors();
  const boost::json::object poll{{"device_handle", text_of(begun, "device_handle")}};
  // Not signed in yet: the other broker knows the login and waits with the provider.
  auto waiting = call(second_, "/v1/auth/sso/corp/device/poll", "", poll);
  EXPECT_EQ(waiting.first, 202u) << waiting.second << second_.errors();

  const auto page =
      idp.sign_in_device(text_of(begun, "verification_uri"), text_of(begun, "user_code"), "gina");
  EXPECT_NE(page.find("Sign-in Success"), std::string::npos) << page;
  // Polled at the broker that began it (its first poll there), then spent for both.
  auto signed_in = call(first_, "/v1/auth/sso/corp/device/poll", "", poll);
  ASSERT_EQ(signed_in.first, 200u) << signed_in.second << first_.errors();
  EXPECT_EQ(boost::json::parse(signed_in.second).at("user").as_string(), "gina");
  auto again = call(second_, "/v1/auth/sso/corp/device/poll", "", poll);
  EXPECT_EQ(again.first, 400u) << again.second;
  EXPECT_NE(again.second.find("expired_token"), std::string::npos) << again.second;
  EXPECT_EQ(pending_ceremonies(), 0);
}

}  // namespace
}  // namespace jit::broker
