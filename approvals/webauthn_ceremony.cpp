#include "approvals/webauthn_ceremony.hpp"

#include "approvals/webauthn_assertion.hpp"
#include "approvals/webauthn_client_data.hpp"
#include "approvals/webauthn_registration.hpp"

namespace jit::approvals {

Result<ca::Bytes> client_data_challenge(ca::ByteView client_data_json) {
  auto client_data = parse_client_data(client_data_json);
  if (!client_data) return client_data.error();
  return std::move(client_data->challenge);
}

Result<RegisteredCredential> finish_registration(ChallengeStore& store,
                                                 const WebAuthnSettings& settings,
                                                 std::string_view user,
                                                 ca::ByteView client_data_json,
                                                 ca::ByteView attestation_object, TimePoint now) {
  auto challenge = client_data_challenge(client_data_json);
  if (!challenge) return challenge.error();
  if (auto consumed = store.consume(*challenge, ChallengePurpose::registration, user, now);
      !consumed) {
    return consumed.error();
  }
  return verify_registration(settings, *challenge, client_data_json, attestation_object, now);
}

Result<AssertionEvidence> finish_assertion(ChallengeStore& store, const WebAuthnSettings& settings,
                                           ChallengePurpose purpose, std::string_view user,
                                           const StoredCredential& credential,
                                           const AssertionResponse& response, TimePoint now) {
  if (purpose != ChallengePurpose::login && purpose != ChallengePurpose::presence) {
    return ApprovalsErrc::invalid_input;
  }
  auto challenge = client_data_challenge(response.client_data_json);
  if (!challenge) return challenge.error();
  if (auto consumed = store.consume(*challenge, purpose, user, now); !consumed) {
    return consumed.error();
  }
  return verify_assertion(settings, *challenge, credential, response, now);
}

Result<AssertionEvidence> finish_approval_assertion(
    ChallengeStore& store, const WebAuthnSettings& settings, std::string_view reviewer,
    const ApprovalSubject& subject, const StoredCredential& credential,
    const AssertionResponse& response, TimePoint now) {
  auto challenge = client_data_challenge(response.client_data_json);
  if (!challenge) return challenge.error();
  auto consumed = store.consume(*challenge, ChallengePurpose::approval, reviewer, now);
  if (!consumed) return consumed.error();
  if (auto bound = check_approval_challenge(subject, consumed->nonce, *challenge); !bound) {
    return bound.error();
  }
  auto evidence = verify_assertion(settings, *challenge, credential, response, now);
  if (evidence) evidence->approval_nonce = std::move(consumed->nonce);
  return evidence;
}

}  // namespace jit::approvals
