// The MFA freshness rule (docs/architecture.md, invariant 4): when a call that carries no second
// factor may still go ahead on the strength of the session's own last one. Every caller (the
// proof of presence for actions, passkey registration) asks this one function; the broker answers
// `401 mfa_required` whenever it says no.
#pragma once

#include <chrono>
#include <cstdint>

namespace jit::approvals {

// What an action accepts in place of a factor in its call.
enum class SessionFactor {
  not_enough,  // approve, deny, the post-incident review, break-glass, adding or removing a passkey
  when_fresh,  // creating a request, minting, beginning a passkey registration
};

// Whether an action under `rule` may go ahead without a factor in the call, at `now` (unix
// seconds), for a session whose last factor was at `last_mfa_at`, with the freshness `window`
// (mfa.freshness). The window's end is inclusive.
bool session_factor_suffices(SessionFactor rule, std::int64_t last_mfa_at, std::int64_t now,
                             std::chrono::seconds window);

// The rule for registering a passkey: a factor in the call, except for a user with no factor of
// the broker's own at all (only a user created at an SSO login, docs/sso.md "MFA and approvals"),
// whose first passkey a fresh session allows: the login's MFA, which for SSO counts only when the
// provider's amr/acr qualified.
SessionFactor passkey_registration_rule(bool has_broker_factor) noexcept;

// The rule for minting a certificate: a fresh session's factor, unless the session was opened by
// SSO, whose login MFA is the provider's: then a factor of the broker's own in the call (invariant
// 14, docs/architecture.md).
SessionFactor minting_rule(bool sso_session) noexcept;

}  // namespace jit::approvals
