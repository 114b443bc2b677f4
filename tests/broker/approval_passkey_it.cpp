// Invariant 4 through the API: a passkey approval's challenge comes from
// POST /v1/requests/{id}/webauthn/begin, is bound to that request's digest, and proves presence
// for that request only; the review stores the passkey evidence.
#include "support/access_fixture.hpp"
#include "support/software_authenticator.hpp"

#include <gtest/gtest.h>

namespace jit::testing {
namespace {

namespace json = boost::json;
namespace sw = jit::approvals::testing;

class ApprovalPasskeyTest : public ::testing::Test {
 protected:
  // Registers key_ for `user`, with a fresh TOTP code as the factor registration needs.
  void register_passkey(const std::string& user, const std::map<std::string, std::string>& auth) {
    const auto options = f_.post("/v1/webauthn/register/begin", json::object{}, auth);
    ASSERT_EQ(options.status, 200u) << options.raw.body();
    ca::Bytes challenge;
    ASSERT_TRUE(ca::base64url_decode_unpadded(
        std::string_view(options.body.at("challenge").as_string()), challenge));
    const auto client_data =
        sw::make_client_data("webauthn.create", challenge, "https://localhost:8443");
    const auto registered =
        f_.post("/v1/webauthn/register/finish",
                {{"client_data_json", ca::base64url_encode_unpadded(client_data)},
                 {"attestation_object",
                  ca::base64url_encode_unpadded(key_.attestation_object(client_data, {}))},
                 {"mfa", f_.mfa(user)}},
                auth);
    ASSERT_EQ(registered.status, 201u) << registered.raw.body();
  }

  // An assertion over the challenge the broker issued for `challenge_request`.
  json::object passkey_mfa(const std::string& challenge_request,
                           const std::map<std::string, std::string>& auth) {
    const auto options =
        f_.post("/v1/requests/" + challenge_request + "/webauthn/begin", json::object{}, auth);
    EXPECT_EQ(options.status, 200u) << options.raw.body();
    ca::Bytes challenge;
    EXPECT_TRUE(ca::base64url_decode_unpadded(
        std::string_view(options.body.at("challenge").as_string()), challenge));
    const auto client_data =
        sw::make_client_data("webauthn.get", challenge, "https://localhost:8443");
    const auto assertion = key_.get_assertion(client_data, {"localhost", 0x05, ++counter_});
    return {{"webauthn",
             {{"credential_id", ca::base64url_encode_unpadded(key_.credential_id())},
              {"client_data_json", ca::base64url_encode_unpadded(client_data)},
              {"authenticator_data", ca::base64url_encode_unpadded(assertion.authenticator_data)},
              {"signature", ca::base64url_encode_unpadded(assertion.signature)}}}};
  }

  std::string new_request(const std::map<std::string, std::string>& alice, std::string reason) {
    auto created = f_.post(
        "/v1/requests",
        {{"role", "prod-db-read"}, {"reason", std::move(reason)}, {"ticket", "OPS-1"}}, alice);
    EXPECT_EQ(created.status, 201u) << created.raw.body();
    return std::string(created.body.at("id").as_string());
  }

  AccessFixture f_;
  sw::SoftwareAuthenticator key_ = sw::SoftwareAuthenticator::es256();
  std::uint32_t counter_ = 0;
};

TEST_F(ApprovalPasskeyTest, ChallengeProvesPresenceForItsOwnRequestOnly) {
  const auto alice = f_.sign_in("alice");
  const auto carol = f_.sign_in("carol");
  register_passkey("carol", carol);
  const auto a = new_request(alice, "migrate orders");
  const auto b = new_request(alice, "something else");

  // Signed for request a, presented for request b: refused, and b has no review.
  auto crossed = f_.post("/v1/requests/" + b + "/approve", {{"mfa", passkey_mfa(a, carol)}}, carol);
  EXPECT_EQ(crossed.status, 401u) << crossed.raw.body();
  EXPECT_TRUE(f_.get("/v1/requests/" + b, alice).body.at("reviews").as_array().empty());

  auto approved =
      f_.post("/v1/requests/" + a + "/approve", {{"mfa", passkey_mfa(a, carol)}}, carol);
  ASSERT_EQ(approved.status, 200u) << approved.raw.body();
  // The approver's answer names the factor only; the auditor sees the whole evidence (E25).
  const auto& review = approved.body.at("reviews").as_array().at(0);
  EXPECT_EQ(review.at("mfa"), json::value({{"factor", "webauthn"}}));
  const auto frank = f_.sign_in("frank");
  const auto audited = f_.get("/v1/requests/" + a, frank);
  ASSERT_EQ(audited.status, 200u) << audited.raw.body();
  const auto& evidence = audited.body.at("reviews").as_array().at(0).at("mfa");
  EXPECT_EQ(evidence.at("factor").as_string(), "webauthn");
  EXPECT_EQ(evidence.at("sign_count").to_number<std::uint32_t>(), counter_);

  // A challenge for a request the caller may not see is not issued.
  const auto erin = f_.sign_in("erin");
  EXPECT_EQ(f_.post("/v1/requests/" + a + "/webauthn/begin", json::object{}, erin).status, 404u);
}

}  // namespace
}  // namespace jit::testing
