#include "approvals/webauthn_ceremony.hpp"

#include "approvals/webauthn_registration.hpp"
#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using testing::kTestRelyingParty;
using testing::kWebAuthnTestNow;

using std::chrono::seconds;
using testing::make_client_data;
using testing::SoftwareAuthenticator;

const ApprovalSubject kRequestA{"req-a",     "alice", "prod-db-read",           3600,
                                "fix INC-1", "INC-1", ApprovalDecision::approve};
const ApprovalSubject kRequestB{"req-b",     "alice", "prod-db-read",           3600,
                                "fix INC-1", "INC-1", ApprovalDecision::approve};

AssertionResponse assert_for(const SoftwareAuthenticator& authenticator, ca::ByteView challenge,
                             std::uint32_t sign_count) {
  AssertionResponse response;
  response.credential_id = authenticator.credential_id();
  response.client_data_json = make_client_data("webauthn.get", challenge, kTestRelyingParty.origin);
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
    const ca::Bytes challenge =
        store_.issue(ChallengePurpose::registration, user, kWebAuthnTestNow).value();
    const ca::Bytes client_data =
        make_client_data("webauthn.create", challenge, kTestRelyingParty.origin);
    auto registered =
        finish_registration(store_, kTestRelyingParty, user, client_data,
                            authenticator_.attestation_object(client_data, {}), kWebAuthnTestNow);
    EXPECT_TRUE(registered.has_value());
    return StoredCredential{
        registered->id, registered->public_key, registered->alg, registered->sign_count, {}};
  }

  ChallengeStore store_;
  SoftwareAuthenticator authenticator_ = SoftwareAuthenticator::es256();
};

TEST_F(CeremonyTest, RegistrationChallengeIsSingleUseAndExpires) {
  const ca::Bytes challenge =
      store_.issue(ChallengePurpose::registration, "alice", kWebAuthnTestNow).value();
  const ca::Bytes client_data =
      make_client_data("webauthn.create", challenge, kTestRelyingParty.origin);
  const ca::Bytes attestation = authenticator_.attestation_object(client_data, {});
  EXPECT_EQ(finish_registration(store_, kTestRelyingParty, "bob", client_data, attestation,
                                kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::challenge_mismatch);
  EXPECT_TRUE(finish_registration(store_, kTestRelyingParty, "alice", client_data, attestation,
                                  kWebAuthnTestNow));
  EXPECT_EQ(finish_registration(store_, kTestRelyingParty, "alice", client_data, attestation,
                                kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::replayed);

  const ca::Bytes late =
      store_.issue(ChallengePurpose::registration, "alice", kWebAuthnTestNow).value();
  const ca::Bytes late_data = make_client_data("webauthn.create", late, kTestRelyingParty.origin);
  EXPECT_EQ(finish_registration(store_, kTestRelyingParty, "alice", late_data,
                                authenticator_.attestation_object(late_data, {}),
                                kWebAuthnTestNow + seconds{120})
                .error(),
            ApprovalsErrc::expired);
}

TEST_F(CeremonyTest, ChallengeTheServerNeverIssuedIsRefused) {
  const ca::Bytes made_up(32, std::byte{7});
  const ca::Bytes client_data =
      make_client_data("webauthn.create", made_up, kTestRelyingParty.origin);
  EXPECT_EQ(
      finish_registration(store_, kTestRelyingParty, "alice", client_data,
                          authenticator_.attestation_object(client_data, {}), kWebAuthnTestNow)
          .error(),
      ApprovalsErrc::challenge_mismatch);
}

TEST_F(CeremonyTest, LoginAssertionIsSingleUse) {
  const StoredCredential credential = enrol("alice");
  const ca::Bytes challenge =
      store_.issue(ChallengePurpose::login, "alice", kWebAuthnTestNow).value();
  const AssertionResponse response = assert_for(authenticator_, challenge, 1);
  EXPECT_EQ(finish_assertion(store_, kTestRelyingParty, ChallengePurpose::presence, "alice",
                             credential, response, kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::challenge_mismatch);
  auto evidence = finish_assertion(store_, kTestRelyingParty, ChallengePurpose::login, "alice",
                                   credential, response, kWebAuthnTestNow + seconds{5});
  ASSERT_TRUE(evidence.has_value());
  EXPECT_EQ(evidence->verified_at, kWebAuthnTestNow + seconds{5});
  EXPECT_EQ(finish_assertion(store_, kTestRelyingParty, ChallengePurpose::login, "alice",
                             credential, response, kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::replayed);
  // Approval challenges only go through finish_approval_assertion.
  EXPECT_EQ(finish_assertion(store_, kTestRelyingParty, ChallengePurpose::approval, "alice",
                             credential, response, kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::invalid_input);
}

TEST_F(CeremonyTest, ApprovalForRequestADoesNotApproveRequestB) {
  const StoredCredential credential = enrol("carol");
  const ca::Bytes digest_a = decision_digest(kRequestA).value();

  const ca::Bytes challenge = store_.issue_for_request(digest_a, "carol", kWebAuthnTestNow).value();
  const AssertionResponse for_a = assert_for(authenticator_, challenge, 1);
  EXPECT_EQ(finish_approval_assertion(store_, kTestRelyingParty, "carol", kRequestB, credential,
                                      for_a, kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::challenge_mismatch);
  // That attempt used the challenge up: the same assertion cannot then be replayed for A either.
  EXPECT_EQ(finish_approval_assertion(store_, kTestRelyingParty, "carol", kRequestA, credential,
                                      for_a, kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::replayed);

  const ca::Bytes fresh = store_.issue_for_request(digest_a, "carol", kWebAuthnTestNow).value();
  auto evidence =
      finish_approval_assertion(store_, kTestRelyingParty, "carol", kRequestA, credential,
                                assert_for(authenticator_, fresh, 2), kWebAuthnTestNow);
  ASSERT_TRUE(evidence.has_value()) << evidence.error().message();
  EXPECT_EQ(evidence->new_sign_count, 2u);
  // The evidence carries the nonce, from which the challenge can be recomputed later.
  EXPECT_EQ(approval_challenge(digest_a, evidence->approval_nonce).value(), fresh);
}

TEST_F(CeremonyTest, ApprovalForApproveDoesNotDeny) {
  const StoredCredential credential = enrol("carol");
  const ca::Bytes challenge =
      store_.issue_for_request(decision_digest(kRequestA).value(), "carol", kWebAuthnTestNow)
          .value();
  ApprovalSubject deny = kRequestA;
  deny.decision = ApprovalDecision::deny;
  EXPECT_EQ(finish_approval_assertion(store_, kTestRelyingParty, "carol", deny, credential,
                                      assert_for(authenticator_, challenge, 1), kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::challenge_mismatch);
}

TEST_F(CeremonyTest, ApprovalFailsWhenTheRequestChangedOrTheReviewerDiffers) {
  const StoredCredential credential = enrol("carol");
  const ca::Bytes challenge =
      store_.issue_for_request(decision_digest(kRequestA).value(), "carol", kWebAuthnTestNow)
          .value();
  const AssertionResponse response = assert_for(authenticator_, challenge, 1);
  EXPECT_EQ(finish_approval_assertion(store_, kTestRelyingParty, "dave", kRequestA, credential,
                                      response, kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::challenge_mismatch);
  ApprovalSubject longer = kRequestA;
  longer.duration_seconds = 7200;
  EXPECT_EQ(finish_approval_assertion(store_, kTestRelyingParty, "carol", longer, credential,
                                      response, kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::challenge_mismatch);
}

TEST_F(CeremonyTest, LoginChallengeCannotApprove) {
  const StoredCredential credential = enrol("carol");
  const ca::Bytes challenge =
      store_.issue(ChallengePurpose::login, "carol", kWebAuthnTestNow).value();
  EXPECT_EQ(finish_approval_assertion(store_, kTestRelyingParty, "carol", kRequestA, credential,
                                      assert_for(authenticator_, challenge, 1), kWebAuthnTestNow)
                .error(),
            ApprovalsErrc::challenge_mismatch);
}

}  // namespace
}  // namespace jit::approvals
