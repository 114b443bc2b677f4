// Managing one's passkeys through the API (issue 14 item 17): registration needs a fresh factor in
// the finish call (TOTP, or an assertion of a passkey already registered), and is audited and
// announced; GET /v1/webauthn/credentials lists the caller's own passkeys without key material;
// DELETE /v1/webauthn/credentials/{id} needs a fresh factor too and removes only the caller's own.
#include "tests/support/api_fixture.hpp"
#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

using namespace std::chrono_literals;
namespace json = boost::json;
namespace sw = jit::testing;
using Headers = std::map<std::string, std::string>;

constexpr const char* kOrigin = "https://localhost:8443";

std::string b64(ca::ByteView bytes) { return ca::base64url_encode_unpadded(bytes); }

class PasskeyApiTest : public ::testing::Test, public ApiFixture {
 protected:
  void SetUp() override {
    secret_ = enroll("carol", "cedar forest 42");
    carol_ = bearer(login("carol", "cedar forest 42", totp(secret_)));
    dave_secret_ = enroll("dave", "desert sunset 99");
    dave_ = bearer(login("dave", "desert sunset 99", totp(dave_secret_)));
  }

  // A TOTP code of a step not used yet.
  json::object fresh_totp(const ca::Bytes& secret) {
    advance(30s);
    return {{"totp", totp(secret)}};
  }

  // register/begin, then register/finish with `mfa` (absent when null).
  Answer register_key(const sw::SoftwareAuthenticator& key, const Headers& auth,
                      const json::value& mfa) {
    const auto options = post("/v1/webauthn/register/begin", json::object{}, auth);
    EXPECT_EQ(options.status, 200u) << options.raw.body();
    ca::Bytes challenge;
    EXPECT_TRUE(ca::base64url_decode_unpadded(
        std::string_view(options.body.at("challenge").as_string()), challenge));
    const auto client_data = sw::make_client_data("webauthn.create", challenge, kOrigin);
    json::object body{{"client_data_json", b64(client_data)},
                      {"attestation_object", b64(key.attestation_object(client_data, {}))}};
    if (!mfa.is_null()) body["mfa"] = mfa;
    return post("/v1/webauthn/register/finish", body, auth);
  }

  // A presence proof made with `key` on a /v1/webauthn/presence/begin challenge.
  json::object passkey_factor(const sw::SoftwareAuthenticator& key, const Headers& auth,
                              std::uint32_t counter) {
    const auto options = post("/v1/webauthn/presence/begin", json::object{}, auth);
    EXPECT_EQ(options.status, 200u) << options.raw.body();
    ca::Bytes challenge;
    EXPECT_TRUE(ca::base64url_decode_unpadded(
        std::string_view(options.body.at("challenge").as_string()), challenge));
    const auto client_data = sw::make_client_data("webauthn.get", challenge, kOrigin);
    const auto assertion = key.get_assertion(client_data, {"localhost", 0x05, counter});
    return {{"webauthn",
             {{"credential_id", b64(key.credential_id())},
              {"client_data_json", b64(client_data)},
              {"authenticator_data", b64(assertion.authenticator_data)},
              {"signature", b64(assertion.signature)}}}};
  }

  Answer remove(const std::string& id, const Headers& auth, const json::value& mfa) {
    json::object fields;
    if (!mfa.is_null()) fields["mfa"] = mfa;
    const json::value body = std::move(fields);
    return call(broker::http::verb::delete_, "/v1/webauthn/credentials/" + id, &body, auth);
  }

  std::int64_t stored_passkeys() {
    return store_->read([](SQLite::Database& db) {
      return db.execAndGet("SELECT count(*) FROM webauthn_credentials").getInt64();
    });
  }

  ca::Bytes secret_, dave_secret_;
  Headers carol_, dave_;
};

TEST_F(PasskeyApiTest, RegistrationNeedsAFreshFactorInTheFinishCall) {
  const auto key = sw::SoftwareAuthenticator::es256();
  // A session whose sign-in MFA is seconds old is no longer enough on its own.
  const auto bare = register_key(key, carol_, nullptr);
  EXPECT_EQ(bare.status, 401u) << bare.raw.body();
  EXPECT_EQ(code_of(bare), "mfa_required");
  const auto wrong = register_key(key, carol_, json::object{{"totp", wrong_totp(secret_)}});
  EXPECT_EQ(wrong.status, 401u) << wrong.raw.body();
  EXPECT_EQ(stored_passkeys(), 0);
  EXPECT_EQ(audit_count("webauthn.register"), 0);

  const auto registered = register_key(key, carol_, fresh_totp(secret_));
  ASSERT_EQ(registered.status, 201u) << registered.raw.body();
  EXPECT_EQ(registered.body.at("credential_id").as_string(), b64(key.credential_id()));
  EXPECT_EQ(stored_passkeys(), 1);
  EXPECT_EQ(audit_count("webauthn.register"), 1);
  EXPECT_EQ(outbox_events(), (std::vector<std::string>{"passkey.registered"}));
}

TEST_F(PasskeyApiTest, ASecondPasskeyMayBeAddedWithTheFirstAsTheFactor) {
  const auto first = sw::SoftwareAuthenticator::es256();
  ASSERT_EQ(register_key(first, carol_, fresh_totp(secret_)).status, 201u);
  const auto second = sw::SoftwareAuthenticator::eddsa();
  const auto registered = register_key(second, carol_, passkey_factor(first, carol_, 1));
  ASSERT_EQ(registered.status, 201u) << registered.raw.body();
  EXPECT_EQ(stored_passkeys(), 2);
  // dave's passkey cannot vouch for carol's registration.
  const auto daves = sw::SoftwareAuthenticator::es256();
  ASSERT_EQ(register_key(daves, dave_, fresh_totp(dave_secret_)).status, 201u);
  const auto third = sw::SoftwareAuthenticator::es256();
  EXPECT_EQ(register_key(third, carol_, passkey_factor(daves, carol_, 1)).status, 401u);
  EXPECT_EQ(stored_passkeys(), 3);
}

TEST_F(PasskeyApiTest, ListingShowsOnlyTheCallersPasskeysAndNoKeyMaterial) {
  const auto key = sw::SoftwareAuthenticator::es256();
  ASSERT_EQ(register_key(key, carol_, fresh_totp(secret_)).status, 201u);
  const auto daves = sw::SoftwareAuthenticator::es256();
  ASSERT_EQ(register_key(daves, dave_, fresh_totp(dave_secret_)).status, 201u);
  (void)passkey_factor(key, carol_, 5);  // a challenge only: last_used_at stays unset

  const auto listed = get("/v1/webauthn/credentials", carol_);
  ASSERT_EQ(listed.status, 200u) << listed.raw.body();
  const auto& credentials = listed.body.at("credentials").as_array();
  ASSERT_EQ(credentials.size(), 1u);
  const auto& only = credentials[0].as_object();
  EXPECT_EQ(only.at("id").as_string(), b64(key.credential_id()));
  EXPECT_TRUE(only.at("created_at").is_int64());
  EXPECT_TRUE(only.at("last_used_at").is_null());
  for (const auto& member : only) {
    const std::string_view name = member.key();
    EXPECT_TRUE(name == "id" || name == "created_at" || name == "last_used_at" ||
                name == "algorithm" || name == "possibly_cloned")
        << name;
  }
  EXPECT_EQ(get("/v1/webauthn/credentials", {}).status, 401u);
}

TEST_F(PasskeyApiTest, RemovalNeedsAFreshFactorAndRemovesOnlyOwnPasskeys) {
  const auto key = sw::SoftwareAuthenticator::es256();
  ASSERT_EQ(register_key(key, carol_, fresh_totp(secret_)).status, 201u);
  const auto id = b64(key.credential_id());

  const auto bare = remove(id, carol_, nullptr);
  EXPECT_EQ(bare.status, 401u) << bare.raw.body();
  EXPECT_EQ(code_of(bare), "mfa_required");
  // Another user's passkey is not found, like one that does not exist; dave spends no factor.
  const auto foreign = remove(id, dave_, fresh_totp(dave_secret_));
  EXPECT_EQ(foreign.status, 404u) << foreign.raw.body();
  EXPECT_EQ(remove("not-base64url!", carol_, fresh_totp(secret_)).status, 400u);
  EXPECT_EQ(stored_passkeys(), 1);

  const auto removed = remove(id, carol_, fresh_totp(secret_));
  ASSERT_EQ(removed.status, 200u) << removed.raw.body();
  EXPECT_EQ(stored_passkeys(), 0);
  EXPECT_EQ(audit_count("webauthn.remove"), 1);
  EXPECT_EQ(outbox_events(), (std::vector<std::string>{"passkey.registered", "passkey.removed"}));
  EXPECT_TRUE(get("/v1/webauthn/credentials", carol_).body.at("credentials").as_array().empty());
  EXPECT_EQ(remove(id, carol_, fresh_totp(secret_)).status, 404u);
}

}  // namespace
}  // namespace jit::broker
