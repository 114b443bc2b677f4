// Invariant 4 through the API: a passkey approval's challenge comes from
// POST /v1/requests/{id}/webauthn/begin, is bound to that request's digest and to the decision
// (issue 14 C12), and proves presence for that request and decision only; the review stores the
// passkey evidence with the assertion itself, which an auditor can verify again later (C11).
#include "approvals/request_binding.hpp"
#include "approvals/webauthn_assertion.hpp"
#include "approvals/webauthn_ceremony.hpp"
#include "broker/auth/credential_store.hpp"
#include "tests/support/access_fixture.hpp"
#include "tests/support/software_authenticator.hpp"
#include "tests/support/test_policy.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;
namespace sw = jit::testing;

class ApprovalPasskeyTest : public ::testing::Test {
 protected:
  explicit ApprovalPasskeyTest(std::string_view policy_yaml = kDemoPolicy) : f_(policy_yaml) {}

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

  // An assertion over the challenge the broker issued for `decision` on `challenge_request`.
  json::object passkey_mfa(const std::string& challenge_request,
                           const std::map<std::string, std::string>& auth,
                           const std::string& decision = "approve") {
    const auto options = f_.post("/v1/requests/" + challenge_request + "/webauthn/begin",
                                 {{"decision", decision}}, auth);
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
  EXPECT_EQ(
      f_.post("/v1/requests/" + a + "/webauthn/begin", {{"decision", "approve"}}, erin).status,
      404u);
}

TEST_F(ApprovalPasskeyTest, AssertionMadeForApproveIsRefusedByDeny) {
  const auto alice = f_.sign_in("alice");
  const auto carol = f_.sign_in("carol");
  register_passkey("carol", carol);
  const auto a = new_request(alice, "migrate orders");
  const auto audit_before = f_.count_rows("audit");
  const auto reviews_before = f_.count_rows("reviews");

  // Made for "approve", sent to /deny: refused, and only the failure is recorded.
  auto crossed = f_.post("/v1/requests/" + a + "/deny", {{"mfa", passkey_mfa(a, carol)}}, carol);
  EXPECT_TRUE(crossed.status == 401u || crossed.status == 400u) << crossed.raw.body();
  EXPECT_TRUE(crossed.body.at("code").is_string()) << crossed.raw.body();
  EXPECT_EQ(f_.count_rows("reviews"), reviews_before);
  EXPECT_EQ(f_.get("/v1/requests/" + a, alice).body.at("state").as_string(), "pending");
  EXPECT_EQ(f_.count_rows("audit"), audit_before + 1);
  EXPECT_EQ(f_.audit_count("presence.failure"), 1);

  // Made for "deny", sent to /approve: refused too. Made for "deny", sent to /deny: accepted.
  auto reversed =
      f_.post("/v1/requests/" + a + "/approve", {{"mfa", passkey_mfa(a, carol, "deny")}}, carol);
  EXPECT_EQ(reversed.status, 401u) << reversed.raw.body();
  auto denied =
      f_.post("/v1/requests/" + a + "/deny", {{"mfa", passkey_mfa(a, carol, "deny")}}, carol);
  EXPECT_EQ(denied.status, 200u) << denied.raw.body();
  EXPECT_EQ(denied.body.at("state").as_string(), "denied");

  // A challenge is only issued for a decision the route knows.
  for (const auto& body :
       {json::object{}, json::object{{"decision", "grant"}}, json::object{{"decision", 1}}}) {
    const auto refused = f_.post("/v1/requests/" + a + "/webauthn/begin", body, carol);
    EXPECT_EQ(refused.status, 400u) << json::serialize(body);
  }
}

TEST_F(ApprovalPasskeyTest, StoredAssertionVerifiesAgainstTheCredentialKeyAndItsChallenge) {
  const auto alice = f_.sign_in("alice");
  const auto carol = f_.sign_in("carol");
  register_passkey("carol", carol);
  const auto a = new_request(alice, "migrate orders");
  auto approved = f_.post("/v1/requests/" + a + "/approve",
                          {{"comment", "looks right"}, {"mfa", passkey_mfa(a, carol)}}, carol);
  ASSERT_EQ(approved.status, 200u) << approved.raw.body();

  // What an auditor has later: the review row, the credential's public key, the request row.
  const auto stored = f_.store_->read([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT mfa_evidence FROM reviews WHERE request_id = ?");
    q.bind(1, a);
    EXPECT_TRUE(q.executeStep());
    return q.getColumn(0).getString();
  });
  const auto evidence = json::parse(stored).as_object();
  ASSERT_TRUE(evidence.contains("assertion")) << stored;
  const auto& assertion = evidence.at("assertion").as_object();
  const auto bytes = [&](const char* name) {
    ca::Bytes out;
    EXPECT_TRUE(
        ca::base64url_decode_unpadded(std::string_view(assertion.at(name).as_string()), out))
        << name;
    return out;
  };
  approvals::AssertionResponse response;
  response.credential_id = key_.credential_id();
  response.client_data_json = bytes("client_data_json");
  response.authenticator_data = bytes("authenticator_data");
  response.signature = bytes("signature");
  const auto credential = f_.store_->read([&](broker::db::Connection& db) {
    return *broker::find_webauthn_credential(db, key_.credential_id());
  });
  const approvals::StoredCredential public_key{
      credential.credential_id,
      credential.cose_key,
      static_cast<approvals::CoseAlgorithm>(credential.algorithm),
      0,
      {}};
  // The challenge it was made for: the request as stored, the decision, the stored nonce.
  const auto duration = f_.store_->read([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT duration_s FROM requests WHERE id = ?");
    q.bind(1, a);
    EXPECT_TRUE(q.executeStep());
    return static_cast<std::uint64_t>(q.getColumn(0).getInt64());
  });
  const approvals::ApprovalSubject subject{a,
                                           "alice",
                                           "prod-db-read",
                                           duration,
                                           "migrate orders",
                                           "OPS-1",
                                           approvals::ApprovalDecision::approve};
  const auto challenge =
      approvals::approval_challenge(*approvals::decision_digest(subject), bytes("approval_nonce"));
  ASSERT_TRUE(challenge);
  EXPECT_EQ(*approvals::client_data_challenge(response.client_data_json), *challenge);
  const approvals::WebAuthnSettings settings{"localhost", "https://localhost:8443", false};
  EXPECT_TRUE(approvals::verify_assertion(settings, *challenge, public_key, response, f_.now_));
  // A flipped signature bit does not verify: the check above is a real one.
  response.signature.back() ^= std::byte{1};
  EXPECT_FALSE(approvals::verify_assertion(settings, *challenge, public_key, response, f_.now_));
  // Bound to the decision: the same assertion does not fit a denial's challenge.
  auto as_deny = subject;
  as_deny.decision = approvals::ApprovalDecision::deny;
  EXPECT_NE(
      *approvals::approval_challenge(*approvals::decision_digest(as_deny), bytes("approval_nonce")),
      *challenge);

  // The audit record holds a hash of the request digest, reason and comment.
  const auto details = f_.store_->read([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT details FROM audit WHERE action = 'request.approve'");
    EXPECT_TRUE(q.executeStep());
    return q.getColumn(0).getString();
  });
  const auto audited = json::parse(details).as_object();
  EXPECT_EQ(audited.at("review_sha256").as_string(),
            ca::hex_encode(*approvals::review_digest(subject, "looks right")))
      << details;
  EXPECT_EQ(audited.at("request_digest").as_string(),
            ca::hex_encode(*approvals::request_digest(subject)));
  EXPECT_EQ(audited.at("mfa").at("assertion").at("signature").as_string(),
            assertion.at("signature").as_string());
}

// The demo policy with `approver_mfa: passkey` on prod-db-read.
std::string passkey_only_policy() {
  auto yaml = test_policy();
  const std::string anchor = "    max_duration: 1h\n";
  yaml.insert(yaml.find(anchor) + anchor.size(), "    approver_mfa: passkey\n");
  return yaml;
}

class PasskeyOnlyApprovalTest : public ApprovalPasskeyTest {
 protected:
  PasskeyOnlyApprovalTest() : ApprovalPasskeyTest(passkey_only_policy()) {}

  std::int64_t totp_last_step(const std::string& user) {
    return f_.store_->read(
        [&](db::Connection& db) { return find_credentials(db, user).value().totp_last_step; });
  }
};

// approver_mfa: passkey (docs/architecture.md, invariant 4): an approval counts only with a
// passkey; a code is refused, audited and left unspent; a denial still takes a code.
TEST_F(PasskeyOnlyApprovalTest, ACodeIsRefusedUnspentAPasskeyCountsAndADenialTakesACode) {
  const auto alice = f_.sign_in("alice");
  const auto carol = f_.sign_in("carol");
  const auto dave = f_.sign_in("dave");
  register_passkey("carol", carol);
  const auto id = new_request(alice, "rotate the replica keys");
  EXPECT_EQ(f_.get("/v1/requests/" + id, alice).body.at("approver_mfa").as_string(), "passkey");

  const auto step_before = totp_last_step("carol");
  auto refused = f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa("carol")}}, carol);
  EXPECT_EQ(refused.status, 403u) << refused.raw.body();
  EXPECT_EQ(code_of(refused), "passkey_required");
  EXPECT_EQ(f_.audit_count("request.approve.refused"), 1);
  EXPECT_EQ(totp_last_step("carol"), step_before) << "the refused code was spent";

  auto approved =
      f_.post("/v1/requests/" + id + "/approve", {{"mfa", passkey_mfa(id, carol)}}, carol);
  ASSERT_EQ(approved.status, 200u) << approved.raw.body();
  EXPECT_EQ(approved.body.at("approvals").as_int64(), 1);

  auto denied = f_.post("/v1/requests/" + id + "/deny", {{"mfa", f_.mfa("dave")}}, dave);
  ASSERT_EQ(denied.status, 200u) << denied.raw.body();
  EXPECT_EQ(denied.body.at("state").as_string(), "denied");
}

}  // namespace
}  // namespace jit::broker
