// WebAuthn registration, relying-party side (docs/protocols.md 4.1, 4.6): formats "none" and
// "packed" self-attestation only, credential algorithms ES256 and EdDSA only. The caller has
// already taken the expected challenge out of the ChallengeStore (see webauthn_ceremony.hpp) and
// checks afterwards that the credential id is not registered to anyone yet.
#pragma once

#include "approvals/approvals_error.hpp"
#include "approvals/time_point.hpp"
#include "approvals/webauthn_types.hpp"
#include "ca/bytes.hpp"

namespace jit::approvals {

inline constexpr std::size_t kMaxAttestationObjectBytes = 32 * 1024;

// Checks, in this order, and fails with the first error:
//   clientDataJSON: invalid_input, wrong_ceremony (not "webauthn.create"), challenge_mismatch,
//                   origin_mismatch;
//   attestationObject: invalid_input (CBOR, map keys other than exactly fmt/attStmt/authData,
//                   trailing bytes), unsupported (fmt other than none/packed);
//   authenticatorData: invalid_input, rp_id_mismatch, user_not_present, user_not_verified (when
//                   settings.require_uv), invalid_input (no attested credential);
//   credential key: unsupported (algorithm, key type, curve), invalid_input;
//   attStmt: invalid_input (none with members; packed with a wrong alg or unknown members),
//            unsupported (packed with x5c or ecdaaKeyId), unauthenticated (packed signature).
[[nodiscard]] Result<RegisteredCredential> verify_registration(const WebAuthnSettings& settings,
                                                               ca::ByteView expected_challenge,
                                                               ca::ByteView client_data_json,
                                                               ca::ByteView attestation_object,
                                                               TimePoint now);

}  // namespace jit::approvals
