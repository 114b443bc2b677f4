// The WebAuthn ceremonies as the broker runs them: take the challenge that clientDataJSON carries,
// consume it from the ChallengeStore (once, for this purpose and user, before it expires), then
// verify. A challenge is used up by every attempt, successful or not.
//
//   register/begin:  store.issue(registration, user, now)  -> challenge for
//   PublicKeyCredentialCreationOptions register/finish: finish_registration(...)               ->
//   RegisteredCredential to store login/begin:     store.issue(login, user, now)          ->
//   challenge for PublicKeyCredentialRequestOptions POST /v1/login:  finish_assertion(..., login,
//   ...)      -> AssertionEvidence (store new_sign_count) fresh MFA:       store.issue(presence,
//   user, now), then finish_assertion(..., presence, ...) approve/deny:
//   store.issue_for_request(decision_digest(subject), reviewer, now), then
//                    finish_approval_assertion(...) with the request as stored when the call
//                    arrives.
#pragma once

#include "approvals/approvals_error.hpp"
#include "approvals/challenge_store.hpp"
#include "approvals/request_binding.hpp"
#include "approvals/time_point.hpp"
#include "approvals/webauthn_types.hpp"
#include "ca/bytes.hpp"

#include <string_view>

namespace jit::approvals {

// The challenge bytes clientDataJSON carries (invalid_input if it does not parse).
[[nodiscard]] Result<ca::Bytes> client_data_challenge(ca::ByteView client_data_json);

// Errors: those of client_data_challenge, ChallengeStore::consume (challenge_mismatch, replayed,
// expired), then verify_registration.
[[nodiscard]] Result<RegisteredCredential> finish_registration(
    ChallengeStore& store, const WebAuthnSettings& settings, std::string_view user,
    ca::ByteView client_data_json, ca::ByteView attestation_object, TimePoint now);

// For purposes login and presence (approval is refused with invalid_input: it must go through
// finish_approval_assertion). Errors: those of consume, then verify_assertion.
[[nodiscard]] Result<AssertionEvidence> finish_assertion(
    ChallengeStore& store, const WebAuthnSettings& settings, ChallengePurpose purpose,
    std::string_view user, const StoredCredential& credential, const AssertionResponse& response,
    TimePoint now);

// Consumes the approval challenge of `reviewer`, recomputes it from `subject` (with its decision)
// and the stored nonce (challenge_mismatch when it was issued for another request or decision, or
// the request changed since), then verify_assertion. The evidence carries the nonce, so that the
// assertion can be checked again later against the challenge it was made for.
[[nodiscard]] Result<AssertionEvidence> finish_approval_assertion(
    ChallengeStore& store, const WebAuthnSettings& settings, std::string_view reviewer,
    const ApprovalSubject& subject, const StoredCredential& credential,
    const AssertionResponse& response, TimePoint now);

}  // namespace jit::approvals
