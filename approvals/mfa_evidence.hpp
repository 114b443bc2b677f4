// A verified second factor's proof, kept with a review (docs/architecture.md invariant 4) and the
// session's last MFA. JSON form (verified_at in Unix seconds; no other members allowed):
//   {"factor":"totp","totp_step":N,"verified_at":T}
//   {"factor":"webauthn","credential_id":"<base64url>","sign_count":N,"verified_at":T}
// A passkey approval, denial or post-incident review also keeps what the authenticator signed
// (issue 14), so an auditor can verify it again later with the credential's public key and the
// challenge recomputed from the request, the decision and the nonce (request_binding.hpp):
//   ..., "assertion":{"authenticator_data":B64URL,"client_data_json":B64URL,
//                     "signature":B64URL,"approval_nonce":B64URL}}
#pragma once

#include "approvals/approvals_error.hpp"
#include "approvals/time_point.hpp"
#include "approvals/webauthn_types.hpp"
#include "ca/bytes.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>

namespace jit::approvals {

enum class MfaFactor { totp, webauthn };

// A WebAuthn assertion as signed, with the nonce its approval challenge was derived from.
struct StoredAssertion {
  ca::Bytes authenticator_data;
  ca::Bytes client_data_json;
  ca::Bytes signature;
  ca::Bytes approval_nonce;
  friend bool operator==(const StoredAssertion&, const StoredAssertion&) = default;
};

struct MfaEvidence {
  MfaFactor factor = MfaFactor::totp;
  ca::Bytes credential_id;                   // webauthn only
  std::uint32_t sign_count = 0;              // webauthn only
  std::uint64_t totp_step = 0;               // totp only
  TimePoint verified_at{};                   // whole seconds survive the JSON round trip
  std::optional<StoredAssertion> assertion;  // webauthn approvals only
  friend bool operator==(const MfaEvidence&, const MfaEvidence&) = default;
};

[[nodiscard]] MfaEvidence totp_evidence(std::uint64_t step, TimePoint now);
[[nodiscard]] MfaEvidence webauthn_evidence(const AssertionEvidence& assertion);

[[nodiscard]] boost::json::object mfa_evidence_to_json(const MfaEvidence& evidence);
// invalid_input for anything but the two shapes above.
[[nodiscard]] Result<MfaEvidence> mfa_evidence_from_json(const boost::json::value& json);

}  // namespace jit::approvals
