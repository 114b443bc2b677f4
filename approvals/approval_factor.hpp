// Which second factor an approval takes (docs/architecture.md, invariant 4). A role with
// `approver_mfa: passkey` counts an approval only when its factor is a WebAuthn assertion, which
// a phishing page cannot relay to another origin, where a TOTP code can be typed into anything.
// Denials and post-incident reviews take any factor: they give no access.
#pragma once

#include "approvals/mfa_evidence.hpp"
#include "approvals/request_errors.hpp"
#include "approvals/request_state_machine.hpp"
#include "config/policy.hpp"

#include <optional>

namespace jit::approvals {

// passkey_required: an approval of a passkey-only role proved with anything else, or with no
// factor (nullopt).
[[nodiscard]] Result<void> check_review_factor(const config::Role& role, ReviewDecision decision,
                                               std::optional<MfaFactor> factor);

}  // namespace jit::approvals
