#include "broker/auth/identity_service.hpp"

#include "approvals/approvals_error.hpp"
#include "approvals/password_hash.hpp"
#include "broker/auth/credential_store.hpp"

#include <boost/json/serialize.hpp>

namespace jit::broker {
namespace {

using approvals::ApprovalsErrc;

bool is_safe_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string details_json(boost::json::object object) { return boost::json::serialize(object); }

std::string_view factor_name(const approvals::MfaEvidence& evidence) {
  return evidence.factor == approvals::MfaFactor::totp ? "totp" : "webauthn";
}

}  // namespace

std::optional<std::string> session_cookie(const HttpRequest& request) {
  const auto header = request[http::field::cookie];
  std::string_view rest = header;
  while (!rest.empty()) {
    const auto end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const auto equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == kSessionCookie) {
      return std::string(pair.substr(equals + 1));
    }
  }
  return std::nullopt;
}

IdentityService::IdentityService(Store& store, const config::Policy& policy, ca::Bytes data_key,
                                 AuthSettings settings, Clock clock)
    : store_(store),
      policy_(policy),
      data_key_(std::move(data_key)),
      settings_(std::move(settings)),
      clock_(std::move(clock)),
      failure_audit_(settings_.failure_audit_per_minute, std::chrono::minutes(1)) {}

Result<Caller> IdentityService::authenticate(const HttpRequest& request) const {
  Caller caller;
  std::string token;
  const auto authorization = request[http::field::authorization];
  if (authorization.starts_with("Bearer ")) {
    token = std::string(authorization.substr(7));
  } else if (auto cookie = session_cookie(request)) {
    token = std::move(*cookie);
    caller.via_cookie = true;
  } else {
    return BrokerErrc::unauthenticated;
  }
  const std::int64_t now = now_seconds();
  auto session = store_.read(
      [&](SQLite::Database& db) { return find_live_session(db, token, now, settings_.sessions); });
  if (!session) return session.error();
  // A user removed from policy loses access at once, whatever the database holds.
  if (policy_.find_user(session->user) == nullptr) return BrokerErrc::unauthenticated;
  const bool safe_method =
      request.method() == http::verb::get || request.method() == http::verb::head;
  if (caller.via_cookie && !safe_method && !csrf_token_matches(*session, request[kCsrfHeader])) {
    return BrokerErrc::permission_denied;
  }
  if (session_needs_touch(*session, now)) {
    // Best effort and off the request path: idle tracking to the minute.
    store_.write(
        [hash = session->token_hash, now](WriteContext& tx) {
          touch_session(tx, hash, now);
          return boost::system::error_code{};
        },
        nullptr);
  }
  caller.user = session->user;
  caller.session = std::move(*session);
  return caller;
}

void IdentityService::record_auth_failure(const std::string& user, bool exists, bool counted,
                                          std::string action, std::string why,
                                          std::function<void(boost::system::error_code)> done) {
  const auto now = clock_();
  const auto policy = settings_.lockout;
  // A name that is no user may be a password typed into the wrong field: it is not written down,
  // only a short hash of it that still lets an auditor group attempts.
  std::string object = "user/" + user;
  boost::json::object details{{"reason", why}};
  if (!exists) {
    object = "user/unknown";
    const auto digest = token_hash_hex(user);
    details["name_sha256_prefix"] = digest.substr(0, 16);
  }
  // A failed login is an anonymous caller's doing: past the budget it is counted, not recorded
  // (the lockout below still advances). Failed proofs of presence come from a session: all kept.
  std::optional<approvals::AuditBudget::Admission> admission;
  if (action == "login.failure") {
    const std::lock_guard lock(failure_audit_mutex_);
    admission = failure_audit_.admit(object, now);
    if (admission->suppressed_before > 0) {
      details["suppressed"] = static_cast<std::int64_t>(admission->suppressed_before);
    }
  }
  const bool write_record = !admission || admission->record;
  store_.write(
      [user, exists, counted, action, object, details, now, policy,
       write_record](WriteContext& tx) {
        if (counted) {
          if (auto credentials = find_credentials(tx.db(), user)) {
            approvals::LockoutState state{static_cast<std::uint32_t>(credentials->failed_attempts),
                                          approvals::from_unix_seconds(credentials->locked_until)};
            const auto next = approvals::record_failure(state, policy, now);
            record_login_failure(tx, user, static_cast<int>(next.failures),
                                 approvals::to_unix_seconds(next.locked_until));
            if (next.locked_until > now && !(state.locked_until > now)) {
              tx.audit({"system", "user.locked_out", "user/" + user,
                        details_json({{"failures", next.failures},
                                      {"until", approvals::to_unix_seconds(next.locked_until)}})});
            }
          }
        }
        if (write_record) {
          tx.audit({exists ? user : "unknown", action, object, details_json(details)});
        }
        return boost::system::error_code{};
      },
      std::move(done));
}

void IdentityService::fail_login(const std::string& user, bool exists, bool counted,
                                 const std::string& why,
                                 std::function<void(Result<IssuedSession>)> done) {
  record_auth_failure(
      user, exists, counted, "login.failure", why,
      [done = std::move(done)](boost::system::error_code ec) {
        done(ec == BrokerErrc::unavailable ? ec : make_error_code(BrokerErrc::unauthenticated));
      });
}

void IdentityService::login(std::string user, std::string password, const boost::json::value& mfa,
                            std::function<void(Result<IssuedSession>)> done) {
  const auto now = clock_();
  if (!is_safe_name(user)) {
    (void)approvals::dummy_verify(password);
    return fail_login(user, false, false, "malformed user name", std::move(done));
  }
  auto credentials = store_.read([&](SQLite::Database& db) { return find_credentials(db, user); });
  const bool known = credentials.has_value() && policy_.find_user(user) != nullptr;
  if (!known) {
    (void)approvals::dummy_verify(password);
    return fail_login(user, false, false, "unknown user", std::move(done));
  }
  if (credentials->admin_locked) {
    (void)approvals::dummy_verify(password);
    return fail_login(user, true, false, "account locked by an administrator", std::move(done));
  }
  approvals::LockoutState lockout{static_cast<std::uint32_t>(credentials->failed_attempts),
                                  approvals::from_unix_seconds(credentials->locked_until)};
  if (approvals::is_locked(lockout, now)) {
    (void)approvals::dummy_verify(password);
    // Not counted: attempts during a lock do not extend it.
    return fail_login(user, true, false, "account locked after repeated failures", std::move(done));
  }
  if (!approvals::verify_password(password, credentials->password_hash)) {
    return fail_login(user, true, true, "wrong password", std::move(done));
  }
  auto submission = approvals::parse_mfa_submission(mfa);
  if (!submission)
    return fail_login(user, true, true, "missing or malformed second factor", std::move(done));
  auto verified = store_.read([&](SQLite::Database& db) {
    return verify_mfa(mfa_context(), db, *credentials, *submission, MfaPurpose::login, nullptr,
                      now);
  });
  if (!verified) {
    const bool replay = verified.error() == ApprovalsErrc::replayed;
    return fail_login(user, true, true, replay ? "second factor replayed" : "wrong second factor",
                      std::move(done));
  }
  const auto limits = settings_.sessions;
  auto issued = std::make_shared<IssuedSession>();
  const bool cloned = verified->cloned_credential;
  store_.write(
      [user, verified = *verified, limits, issued, now,
       hash = credentials->password_hash](WriteContext& tx) -> boost::system::error_code {
        // An administrator may have locked or reset the account since the checks above.
        const auto current = find_credentials(tx.db(), user);
        if (!current || current->admin_locked || current->password_hash != hash) {
          return BrokerErrc::unauthenticated;
        }
        if (auto ec = commit_mfa(tx, verified)) return ec;
        if (verified.cloned_credential) return {};
        clear_login_failures(tx, user);
        *issued = create_session(tx, user, approvals::to_unix_seconds(now), limits);
        tx.audit({user, "login.success", "user/" + user,
                  details_json({{"factor", factor_name(verified.evidence)}})});
        return {};
      },
      [this, user, cloned, issued, done = std::move(done)](boost::system::error_code ec) mutable {
        if (ec == BrokerErrc::unavailable) return done(ec);
        if (ec || cloned) {
          return fail_login(user, true, true,
                            cloned                              ? "credential counter went back"
                            : ec == BrokerErrc::unauthenticated ? "account changed during login"
                                                                : "second factor replayed",
                            std::move(done));
        }
        done(std::move(*issued));
      });
}

void IdentityService::logout(const Caller& caller,
                             std::function<void(boost::system::error_code)> done) {
  store_.write(
      [caller](WriteContext& tx) {
        delete_session(tx, caller.session.token_hash);
        tx.audit({caller.user, "logout", "user/" + caller.user, "{}"});
        return boost::system::error_code{};
      },
      std::move(done));
}

Result<std::size_t> IdentityService::prune_sessions(std::int64_t now) {
  std::size_t deleted = 0;
  const auto limits = settings_.sessions;
  auto ec = store_.write_sync([&](WriteContext& tx) {
    deleted = delete_expired_sessions(tx, now, limits);
    return boost::system::error_code{};
  });
  if (ec) return ec;
  return deleted;
}

std::uint64_t IdentityService::suppressed_failure_records() const {
  const std::lock_guard lock(failure_audit_mutex_);
  return failure_audit_.suppressed_total();
}

void IdentityService::prove_presence(const Caller& caller, const boost::json::value* mfa,
                                     bool allow_fresh_session, MfaPurpose purpose,
                                     std::optional<approvals::ApprovalSubject> approval_subject,
                                     std::function<void(Result<Presence>)> done) {
  const auto now = clock_();
  if (mfa == nullptr || mfa->is_null()) {
    const bool fresh = approvals::to_unix_seconds(now) - caller.session.last_mfa_at <=
                       settings_.mfa_freshness.count();
    if (allow_fresh_session && fresh) return done(Presence{});
    return done(make_error_code(BrokerErrc::unauthenticated));
  }
  auto submission = approvals::parse_mfa_submission(*mfa);
  if (!submission) return done(submission.error());
  auto credentials =
      store_.read([&](SQLite::Database& db) { return find_credentials(db, caller.user); });
  if (!credentials) return done(make_error_code(BrokerErrc::unauthenticated));
  approvals::LockoutState lockout{static_cast<std::uint32_t>(credentials->failed_attempts),
                                  approvals::from_unix_seconds(credentials->locked_until)};
  if (credentials->admin_locked || approvals::is_locked(lockout, now)) {
    return done(make_error_code(ApprovalsErrc::locked));
  }
  auto verified = store_.read([&](SQLite::Database& db) {
    return verify_mfa(mfa_context(), db, *credentials, *submission, purpose,
                      approval_subject ? &*approval_subject : nullptr, now);
  });
  if (!verified) {
    // Failed proofs count toward the lockout like failed logins (invariant 5) and are audited.
    const auto error = verified.error();
    return record_auth_failure(
        caller.user, true, true, "presence.failure",
        error == ApprovalsErrc::replayed ? "second factor replayed" : "wrong second factor",
        [error, done = std::move(done)](boost::system::error_code ec) { done(ec ? ec : error); });
  }
  const bool cloned = verified->cloned_credential;
  store_.write(
      [caller, verified = *verified, now](WriteContext& tx) -> boost::system::error_code {
        if (auto ec = commit_mfa(tx, verified)) return ec;
        if (!verified.cloned_credential) {
          clear_login_failures(tx, caller.user);
          record_session_mfa(tx, caller.session.token_hash, approvals::to_unix_seconds(now));
        }
        return {};
      },
      [evidence = verified->evidence, cloned,
       done = std::move(done)](boost::system::error_code ec) {
        if (ec) return done(ec);
        if (cloned) return done(make_error_code(ApprovalsErrc::counter_regressed));
        done(Presence{evidence});
      });
}

}  // namespace jit::broker
