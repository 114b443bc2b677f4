// Who is calling: login with password and a second factor, sessions for the CLI (bearer token) and
// the page (`__Host-` cookie plus CSRF header), and proof of presence for sensitive actions
// (docs/architecture.md invariants 4, 5, 7). Answers via callbacks run once the durable write the
// decision needs has committed.
#pragma once

#include "approvals/audit_budget.hpp"
#include "approvals/challenge_store.hpp"
#include "approvals/lockout.hpp"
#include "approvals/webauthn_types.hpp"
#include "broker/auth/login_limiter.hpp"
#include "broker/auth/mfa_check.hpp"
#include "broker/auth/password_workers.hpp"
#include "broker/auth/session_tokens.hpp"
#include "broker/auth/shared_challenge_table.hpp"
#include "broker/http/http_types.hpp"
#include "broker/store/store.hpp"
#include "config/policy.hpp"

#include <boost/json/object.hpp>
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
  // Per (user, source) for password logins, and per session for proofs of presence.
  approvals::LockoutPolicy lockout;
  // Per user across all sources: password logins only, a much higher threshold (approvals/lockout).
  approvals::LockoutPolicy user_lockout{50, std::chrono::seconds{60}, std::chrono::seconds{3600}};
  approvals::WebAuthnSettings webauthn;
  LoginRateLimits login_rate;
  unsigned password_threads = 0;    // 0: half the hardware threads, at least one
  std::size_t password_queue = 64;  // logins waiting for a password worker; beyond: 429
  approvals::ChallengeStoreLimits challenges;
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

class IdentityService {
 public:
  using Clock = std::function<approvals::TimePoint()>;

  IdentityService(Store& store, const config::Policy& policy, ca::Bytes data_key,
                  AuthSettings settings, Clock clock = approvals::Clock::now);

  // The caller of an API request: `Authorization: Bearer TOKEN`, or the session cookie, which for
  // any method but GET/HEAD also needs the CSRF header. A user no longer in policy is refused.
  Result<Caller> authenticate(const HttpRequest& request) const;

  // Zero when a password login from `remote_ip` may go ahead now (it is counted), else how long
  // the caller should wait (answer 429 with Retry-After, and do nothing else).
  std::chrono::seconds admit_login(std::string_view remote_ip);

  // Password plus `mfa`, on a password worker (never on the caller's thread); `done` runs on a
  // worker or the store's writer thread. Unknown user, wrong password, wrong factor and locked
  // account all answer `unauthenticated` after the same scrypt cost; the audit log says which it
  // was. `rate_limited` when the workers' queue is full. The attempt is recorded as a failure on
  // the user's and the (user, source) counters before the password is verified, and cleared on
  // success, so parallel guesses never verify more passwords than the lockout allows.
  void login(std::string user, std::string password, const boost::json::value& mfa,
             std::string_view remote_ip, std::function<void(Result<IssuedSession>)> done);

  // Drops logins still waiting for a worker and waits for the running ones (before shutdown).
  void stop_workers() { workers_.stop(); }

  void logout(const Caller& caller, std::function<void(boost::system::error_code)> done);

  // Deletes the sessions past either timeout at `now`; waits for the commit (never call it on the
  // writer thread). The expiry sweeper calls it, so logins alone do not grow the table.
  Result<std::size_t> prune_sessions(std::int64_t now);

  // Failed logins left out of the audit log over AuthSettings::failure_audit_per_minute.
  std::uint64_t suppressed_failure_records() const;

  // Audits a failed proof of presence (broker/auth/presence.hpp) and advances this session's own
  // failure counter, which may lock the session's proofs (invariant 5); never password failures.
  void record_presence_failure(const Caller& caller, std::string why,
                               std::function<void(boost::system::error_code)> done);

  approvals::ChallengeStore& challenges() { return challenges_; }
  // The address a quota or counter is kept for (see source_of).
  static std::string source_key(std::string_view remote_ip) { return source_of(remote_ip); }
  const AuthSettings& settings() const { return settings_; }
  const config::Policy& policy() const { return policy_; }
  Store& store() { return store_; }
  approvals::TimePoint now() const { return clock_(); }
  std::int64_t now_seconds() const { return approvals::to_unix_seconds(clock_()); }
  MfaContext mfa_context() { return {challenges_, settings_.webauthn, data_key_}; }

 private:
  using LoginDone = std::function<void(Result<IssuedSession>)>;

  // The login itself, on a password worker.
  void login_now(const std::string& user, const std::string& password,
                 const boost::json::value& mfa, const std::string& source, const LoginDone& done);
  // Records one failure on the user's and the (user, source) counters if neither refuses the
  // attempt (ApprovalsErrc::locked otherwise). The audit details of a lock this failure begins,
  // if it begins one, are returned, to be written when the attempt does fail.
  Result<std::optional<boost::json::object>> reserve_login_attempt(const std::string& user,
                                                                   const std::string& source,
                                                                   approvals::TimePoint now);
  // Audits a failed login or presence proof. `session_counter` (presence only) is the counter the
  // failure advances; `lock` the details of a lock it began. For a name that is no user (`exists`
  // false) only a hash prefix of the name is recorded.
  void record_auth_failure(const std::string& user, bool exists, std::string action,
                           std::string why, std::string session_counter,
                           std::optional<boost::json::object> lock,
                           std::function<void(boost::system::error_code)> done);
  void fail_login(const std::string& user, bool exists, const std::string& why,
                  std::optional<boost::json::object> lock, const LoginDone& done);

  Store& store_;
  const config::Policy& policy_;
  ca::Bytes data_key_;
  AuthSettings settings_;
  Clock clock_;
  // PostgreSQL only: where the brokers of a deployment publish their challenges for each other.
  std::unique_ptr<SharedChallengeTable> shared_challenges_;
  approvals::ChallengeStore challenges_;
  // Anonymous callers choose how often logins fail: their audit records have a budget.
  mutable std::mutex failure_audit_mutex_;
  approvals::AuditBudget failure_audit_;
  LoginLimiter limiter_;
  PasswordWorkers workers_;  // last: its threads stop first, while everything they use lives
};

// Reads the session token from the Cookie header, if any.
std::optional<std::string> session_cookie(const HttpRequest& request);
// The value of the cookie `name` in the request's Cookie header, if it is there.
std::optional<std::string> request_cookie(const HttpRequest& request, std::string_view name);

}  // namespace jit::broker
