// Who is calling: login with password and a second factor, sessions for the CLI (bearer token) and
// the page (`__Host-` cookie plus CSRF header), and proof of presence for sensitive actions
// (DESIGN.md invariants 4, 5 and 7). Answers through callbacks that run once the durable write the
// decision needs has committed.
#pragma once

#include "approvals/audit_budget.hpp"
#include "approvals/challenge_store.hpp"
#include "approvals/lockout.hpp"
#include "approvals/webauthn_types.hpp"
#include "broker/auth/mfa_check.hpp"
#include "broker/auth/session_tokens.hpp"
#include "broker/http/http_types.hpp"
#include "broker/store/store.hpp"
#include "config/policy.hpp"

#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace jit::broker {

struct AuthSettings {
  SessionLimits sessions;
  std::chrono::seconds mfa_freshness{300};
  approvals::LockoutPolicy lockout;
  approvals::WebAuthnSettings webauthn;
  // Audit records of failed logins per minute and per user; all unknown names share one budget.
  std::size_t failure_audit_per_minute = 20;
};

struct Caller {
  std::string user;
  SessionRecord session;
  bool via_cookie = false;
};

inline constexpr std::string_view kSessionCookie = "__Host-jit_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

// A proof of presence: how the caller proved it, and the evidence when a factor was in the call.
struct Presence {
  std::optional<approvals::MfaEvidence> evidence;  // empty when the session's MFA was fresh enough
};

class IdentityService {
 public:
  using Clock = std::function<approvals::TimePoint()>;

  IdentityService(Store& store, const config::Policy& policy, ca::Bytes data_key,
                  AuthSettings settings, Clock clock = approvals::Clock::now);

  // The caller of an API request: `Authorization: Bearer TOKEN`, or the session cookie, which for
  // any method but GET/HEAD also needs the CSRF header. A user no longer in policy is refused.
  Result<Caller> authenticate(const HttpRequest& request) const;

  // Password plus `mfa`. Unknown user, wrong password, wrong factor and locked account all answer
  // `unauthenticated` after the same scrypt cost; the audit log says which it was.
  void login(std::string user, std::string password, const boost::json::value& mfa,
             std::function<void(Result<IssuedSession>)> done);

  void logout(const Caller& caller, std::function<void(boost::system::error_code)> done);

  // Deletes the sessions past either timeout at `now`; waits for the commit (never call it on the
  // writer thread). The expiry sweeper calls it, so logins alone do not grow the table.
  Result<std::size_t> prune_sessions(std::int64_t now);

  // Failed logins left out of the audit log over AuthSettings::failure_audit_per_minute.
  std::uint64_t suppressed_failure_records() const;

  // Sensitive actions. With `mfa` in the call it is verified (and the session's MFA time renewed);
  // without it, `allow_fresh_session` accepts a session whose last MFA is within the freshness
  // window (create-request and mint), otherwise the call is refused (approve, deny, break-glass).
  // For approval the WebAuthn challenge must be bound to `approval_subject`.
  void prove_presence(const Caller& caller, const boost::json::value* mfa, bool allow_fresh_session,
                      MfaPurpose purpose,
                      std::optional<approvals::ApprovalSubject> approval_subject,
                      std::function<void(Result<Presence>)> done);

  approvals::ChallengeStore& challenges() { return challenges_; }
  const AuthSettings& settings() const { return settings_; }
  const config::Policy& policy() const { return policy_; }
  Store& store() { return store_; }
  approvals::TimePoint now() const { return clock_(); }
  std::int64_t now_seconds() const { return approvals::to_unix_seconds(clock_()); }
  MfaContext mfa_context() { return {challenges_, settings_.webauthn, data_key_}; }

 private:
  // Audits a failed login or presence proof; `counted` failures advance the lockout. For a name
  // that is no user (`exists` false) only a hash prefix of the name is recorded.
  void record_auth_failure(const std::string& user, bool exists, bool counted, std::string action,
                           std::string why, std::function<void(boost::system::error_code)> done);
  void fail_login(const std::string& user, bool exists, bool counted, const std::string& why,
                  std::function<void(Result<IssuedSession>)> done);

  Store& store_;
  const config::Policy& policy_;
  ca::Bytes data_key_;
  AuthSettings settings_;
  Clock clock_;
  approvals::ChallengeStore challenges_;
  // Anonymous callers choose how often logins fail: their audit records have a budget.
  mutable std::mutex failure_audit_mutex_;
  approvals::AuditBudget failure_audit_;
};

// Reads the session token from the Cookie header, if any.
std::optional<std::string> session_cookie(const HttpRequest& request);

}  // namespace jit::broker
