// A proof of presence for one action (docs/architecture.md invariants 4 and 5), in two halves.
// `check_presence` verifies the factor in the call on a read snapshot (no lock held), or accepts
// the session's own recent factor where the action allows it (approvals/session_factor.hpp), and
// records a failed proof against this session. `spend_presence` runs inside the write job of the
// action the proof authorises: it uses the factor up there (TOTP step, WebAuthn sign count,
// re-checked against a concurrent call) and renews the session's MFA time, so the action and its
// factor commit in one durable write, and an action its job refuses leaves the factor unspent.
#pragma once

#include "approvals/session_factor.hpp"
#include "broker/auth/identity_service.hpp"
#include "broker/auth/mfa_check.hpp"

#include <boost/json/value.hpp>

#include <functional>
#include <optional>

namespace jit::broker {

// A checked proof of presence, not spent yet.
struct Presence {
  std::optional<approvals::MfaEvidence> evidence;  // empty when the session's MFA was fresh enough
  std::optional<VerifiedMfa> factor;               // what spend_presence uses up; with `evidence`
  std::string session_hash;
  approvals::TimePoint at{};
  // The session's SSO login (provider, sub, amr, acr, auth_time as JSON), empty for a password
  // login: stored with a review's evidence (docs/sso.md, "MFA and approvals").
  std::string sso_login{};
};

// The freshness rule for a call without a factor: mfa_required unless `rule` lets the session's
// last factor stand in and it is within AuthSettings::mfa_freshness at `now`.
Result<void> check_session_factor(const Caller& caller, approvals::SessionFactor rule,
                                  const AuthSettings& settings, approvals::TimePoint now);

// Checks `mfa` (absent or null: the session factor rule) for `purpose`; for the approval purpose
// a passkey's challenge must be bound to `approval_subject`. A wrong, replayed or locked-out factor
// is audited and counted against this session, then answered (a TOTP code whose step was used
// already as BrokerErrc::totp_code_used, 409, not 401); a passkey whose counter went back is
// marked as possibly cloned (its own write) and answered counter_regressed. `done` runs on this
// thread or the store's writer thread.
void check_presence(IdentityService& identity, const Caller& caller, const boost::json::value* mfa,
                    approvals::SessionFactor rule, approvals::ChallengePurpose purpose,
                    std::optional<approvals::ApprovalSubject> approval_subject,
                    std::function<void(Result<Presence>)> done);

// Inside the action's write job, before it writes anything: spends the factor (nothing to do for a
// fresh session). An error (totp_code_used, replayed, counter_regressed: a concurrent call used it
// first) means the action must not go ahead; the job then writes nothing.
boost::system::error_code spend_presence(WriteContext& tx, const Presence& presence);

}  // namespace jit::broker
