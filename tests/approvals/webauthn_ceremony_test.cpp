#include "approvals/webauthn_ceremony.hpp"

#include "approvals/webauthn_registration.hpp"
#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using std::chrono::seconds;
using testing::make_client_data;
using testing::SoftwareAuthenticator;

const WebAuthnSettings kSettings{"localhost", "https://localhost:8443", false};
const TimePoint kNow = from_unix_seconds(1700000000);

const ApprovalSubject kRequestA{"req-a",     "alice", "prod-db-read",           3600,
                                "fix INC-1", "INC-1", ApprovalDecision::approve};
const ApprovalSubject kRequestB{"req-b",     "alice", "prod-db-read",           3600,
                                "fix INC-1", "INC-1", ApprovalDecision::approve};

AssertionResponse assert_for(const SoftwareAuthenticator& authenticator, ca::ByteView challenge,
                             std::uint32_t sign_count) {
  AssertionResponse response;
  response.credential_id = authenticator.credential_id();
  response.client_data_json = make_client_data("webauthn.get", challenge, kSettings.origin);
  testing::AssertionOptions options;
  options.sign_count = sign_count;
  auto assertion = authenticator.get_assertion(response.client_data_json, options);
  response.authenticator_data = std::move(assertion.authenticator_data);
  response.signature = std::move(assertion.signature);
  return response;
}

class CeremonyTest : public ::testing::Test {
 protected:
  // Registers the authenticator for `user` through the store, as register/begin + finish do.
  StoredCredential enrol(std::string_view user) {
    const ca::Bytes challenge = store_.issue(ChallengePurpose::registration, user, kNow).value();
    const ca::Bytes client_data = make_client_data("webauthn.create", challenge, kSettings.origin);
    auto registered = finish_registration(store_, kSettings, user, client_data,
                                          authenticator_.attestation_object(client_data, {}), kNow);
    EXPECT_TRUE(registered.has_value());
    return StoredCredential{
        registered->id, registered->public_key, registered->alg, registered->sign_count, {}};
  }

  ChallengeStore store_;
  SoftwareAuthenticator authenticator_ = SoftwareAuthenticator::es256();
};

TEST_F(CeremonyTest, RegistrationChallengeIsSingleUseAndExpires) {
  const ca::Bytes challenge = store_.issue(ChallengePurpose::registration, "alice", kNow).value();
  const ca::Bytes client_data = make_client_data("webauthn.create", challenge, kSettings.origin);
  const ca::Bytes attestation = authenticator_.attestation_object(client_data, {});
  EXPECT_EQ(finish_registration(store_, kSettings, "bob", client_data, attestation, kNow).error(),
            ApprovalsErrc::challenge_mismatch);
  EXPECT_TRUE(finish_registration(store_, kSettings, "alice", client_data, attestation, kNow));
  EXPECT_EQ(finish_registration(store_, kSettings, "alice", client_data, attestation, kNow).error(),
            ApprovalsErrc::replayed);

  const ca::Bytes late = store_.issue(ChallengePurpose::registration, "alice", kNow).value();
  const ca::Bytes late_data = make_client_data("webauthn.create", late, kSettings.origin);
  EXPECT_EQ(
      finish_registration(store_, kSettings, "alice", late_data,
                          authenticator_.attestation_object(late_data, {}), kNow + seconds{120})
          .error(),
      ApprovalsErrc::expired);
}

TEST_F(CeremonyTest, ChallengeTheServerNeverIssuedIsRefused) {
  const ca::Bytes made_up(32, std::byte{7});
  const ca::Bytes client_data = make_client_data("webauthn.create", made_up, kSettings.origin);
  EXPECT_EQ(finish_registration(store_, kSettings, "alice", client_data,
                                authenticator_.attestation_object(client_data, {}), kNow)
                .error(),
            ApprovalsErrc::challenge_mismatch);
}

TEST_F(CeremonyTest, LoginAssertionIsSingleUse) {
  const StoredCredential credential = enrol("alice");
  const ca::Bytes challenge = store_.issue(ChallengePurpose::login, "alice", kNow).value();
  const AssertionResponse response = assert_for(authenticator_, challenge, 1);
  EXPECT_EQ(finish_assertion(store_, kSettings, ChallengePurpose::presence, "alice", credential,
                             response, kNow)
                .error(),
            ApprovalsErrc::challenge_mismatch);
  auto evidence = finish_assertion(store_, kSettings, ChallengePurpose::login, "alice", credential,
                                   response, kNow + seconds{5});
  ASSERT_TRUE(evidence.has_value());
  EXPECT_EQ(evidence->verified_at, kNow + seconds{5});
  EXPECT_EQ(finish_assertion(store_, kSettings, ChallengePurpose::login, "alice", credential,
                             response, kNow)
                .error(),
            ApprovalsErrc::replayed);
  // Approval challenges only go through finish_approval_assertion.
  EXPECT_EQ(finish_assertion(store_, kSettings, ChallengePurpose::approval, "alice", credential,
                             response, kNow)
                .error(),
            ApprovalsErrc::invalid_input);
}

TEST_F(CeremonyTest, ApprovalForRequestADoesNotApproveRequestB) {
  const StoredCredential credential = enrol("carol");
  const ca::Bytes digest_a = decision_digest(kRequestA).value();

  const ca::Bytes challenge = store_.issue_for_request(digest_a, "carol", kNow).value();
  const AssertionResponse for_a = assert_for(authenticator_, challenge, 1);
  EXPECT_EQ(
      finish_approval_assertion(store_, kSettings, "carol", kRequestB, credential, for_a, kNow)
          .error(),
      ApprovalsErrc::challenge_mismatch);
  // That attempt used the challenge up: the same assertion cannot then be replayed for A either.
  EXPECT_EQ(
      finish_approval_assertion(store_, kSettings, "carol", kRequestA, credential, for_a, kNow)
          .error(),
      ApprovalsErrc::replayed);

  const ca::Bytes fresh = store_.issue_for_request(digest_a, "carol", kNow).value();
  auto evidence = finish_approval_assertion(store_, kSettings, "carol", kRequestA, credential,
                                            assert_for(authenticator_, fresh, 2), kNow);
  ASSERT_TRUE(evidence.has_value()) << evidence.error().message();
  EXPECT_EQ(evidence->new_sign_count, 2u);
  // The evidence carries the nonce, from which the challenge can be recomputed later.
  EXPECT_EQ(approval_challenge(digest_a, evidence->approval_nonce).value(), fresh);
}

TEST_F(CeremonyTest, ApprovalForApproveDoesNotDeny) {
  const StoredCredential credential = enrol("carol");
  const ca::Bytes challenge =
      store_.issue_for_request(decision_digest(kRequestA).value(), "carol", kNow).value();
  ApprovalSubject deny = kRequestA;
  deny.decision = ApprovalDecision::deny;
  EXPECT_EQ(finish_approval_assertion(store_, kSettings, "carol", deny, credential,
                                      assert_for(authenticator_, challenge, 1), kNow)
                .error(),
            ApprovalsErrc::challenge_mismatch);
}

TEST_F(CeremonyTest, ApprovalFailsWhenTheRequestChangedOrTheReviewerDiffers) {
  const StoredCredential credential = enrol("carol");
  const ca::Bytes challenge =
      store_.issue_for_request(decision_digest(kRequestA).value(), "carol", kNow).value();
  const AssertionResponse response = assert_for(authenticator_, challenge, 1);
  EXPECT_EQ(
      finish_approval_assertion(store_, kSettings, "dave", kRequestA, credential, response, kNow)
          .error(),
      ApprovalsErrc::challenge_mismatch);
  ApprovalSubject longer = kRequestA;
  longer.duration_seconds = 7200;
  EXPECT_EQ(
      finish_approval_assertion(store_, kSettings, "carol", longer, credential, response, kNow)
          .error(),
      ApprovalsErrc::challenge_mismatch);
}

TEST_F(CeremonyTest, LoginChallengeCannotApprove) {
  const StoredCredential credential = enrol("carol");
  const ca::Bytes challenge = store_.issue(ChallengePurpose::login, "carol", kNow).value();
  EXPECT_EQ(finish_approval_assertion(store_, kSettings, "carol", kRequestA, credential,
                                      assert_for(authenticator_, challenge, 1), kNow)
                .error(),
            ApprovalsErrc::challenge_mismatch);
}

}  // namespace
}  // namespace jit::approvals
