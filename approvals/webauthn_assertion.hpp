// WebAuthn assertion, relying-party side (docs/protocols.md 4.7). The caller has found the stored
// credential by the response's credential id among the user's credentials and taken the expected
// challenge out of the ChallengeStore (see webauthn_ceremony.hpp). On success it stores
// evidence.new_sign_count on the credential.
#pragma once

#include "approvals/approvals_error.hpp"
#include "approvals/time_point.hpp"
#include "approvals/webauthn_types.hpp"
#include "ca/bytes.hpp"

namespace jit::approvals {

// The signature counter rule (4.7 step 5): when either value is non-zero the new one must be
// greater; 0 and 0 means the authenticator has no counter. counter_regressed otherwise.
[[nodiscard]] Result<void> check_sign_count(std::uint32_t stored, std::uint32_t received);

// Checks, in this order, and fails with the first error:
//   credential_mismatch (credential id is not the stored one; a user handle that is not the stored
//                        one);
//   clientDataJSON: invalid_input, wrong_ceremony (not "webauthn.get"), challenge_mismatch,
//                   origin_mismatch;
//   authenticatorData: invalid_input (malformed, trailing bytes, AT set), rp_id_mismatch,
//                      user_not_present, user_not_verified (when settings.require_uv);
//   signature: invalid_input (impossible size), unauthenticated (does not verify);
//   counter_regressed (check_sign_count).
[[nodiscard]] Result<AssertionEvidence> verify_assertion(const WebAuthnSettings& settings,
                                                         ca::ByteView expected_challenge,
                                                         const StoredCredential& credential,
                                                         const AssertionResponse& response,
                                                         TimePoint now);

}  // namespace jit::approvals
