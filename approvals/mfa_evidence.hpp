// A verified second factor's proof, kept with a review (docs/architecture.md invariant 4) and the
// session's last MFA. JSON form (verified_at in Unix seconds; no other members allowed):
//   {"factor":"totp","totp_step":N,"verified_at":T}
//   {"factor":"webauthn","credential_id":"<base64url>","sign_count":N,"verified_at":T}
#pragma once

#include "approvals/approvals_error.hpp"
#include "approvals/time_point.hpp"
#include "approvals/webauthn_types.hpp"
#include "ca/bytes.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>

namespace jit::approvals {

enum class MfaFactor { totp, webauthn };

struct MfaEvidence {
  MfaFactor factor = MfaFactor::totp;
  ca::Bytes credential_id;       // webauthn only
  std::uint32_t sign_count = 0;  // webauthn only
  std::uint64_t totp_step = 0;   // totp only
  TimePoint verified_at{};       // whole seconds survive the JSON round trip
  friend bool operator==(const MfaEvidence&, const MfaEvidence&) = default;
};

[[nodiscard]] MfaEvidence totp_evidence(std::uint64_t step, TimePoint now);
[[nodiscard]] MfaEvidence webauthn_evidence(const AssertionEvidence& assertion);

[[nodiscard]] boost::json::object mfa_evidence_to_json(const MfaEvidence& evidence);
// invalid_input for anything but the two shapes above.
[[nodiscard]] Result<MfaEvidence> mfa_evidence_from_json(const boost::json::value& json);

}  // namespace jit::approvals
