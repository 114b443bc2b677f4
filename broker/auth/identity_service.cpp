#include "broker/auth/identity_service.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/approvals_error.hpp"
#include "approvals/password_hash.hpp"
#include "broker/auth/credential_store.hpp"
#include "broker/auth/derived_keys.hpp"
#include "config/names.hpp"

#include <boost/json/serialize.hpp>

namespace jit::broker {
namespace {

using approvals::ApprovalsErrc;

std::string details_json(boost::json::object object) { return boost::json::serialize(object); }

std::string_view factor_name(const approvals::MfaEvidence& evidence) {
  return evidence.factor == approvals::MfaFactor::totp ? "totp" : "webauthn";
}

}  // namespace

std::optional<std::string> request_cookie(const HttpRequest& request, std::string_view name) {
  std::string_view rest = request[http::field::cookie];
  while (!rest.empty()) {
    const auto end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const auto equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
      return std::string(pair.substr(equals + 1));
    }
  }
  return std::nullopt;
}

std::optional<std::string> session_cookie(const HttpRequest& request) {
  return request_cookie(request, kSessionCookie);
}

IdentityService::IdentityService(Store& store, const config::Policy& policy, ca::Bytes data_key,
                                 AuthSettings settings, Clock clock)
    : store_(store),
      policy_(policy),
      data_key_(std::move(data_key)),
      settings_(std::move(settings)),
      clock_(std::move(clock)),
      challenges_(settings_.challenges),
      failure_audit_(settings_.failure_audit_per_minute, std::chrono::minutes(1)),
      limiter_(settings_.login_rate),
      workers_(settings_.password_threads, settings_.password_queue) {
  if (store_.backend() == db::Backend::postgresql) {
    shared_challenges_ = std::make_unique<SharedChallengeTable>(store_);
    challenges_.share_through(shared_challenges_.get());
  }
}

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
      [&](db::Connection& db) { return find_live_session(db, token, now, settings_.sessions); });
  if (!session) return session.error();
  // A user removed from policy loses access at once, whatever the database holds.
  if (!policy_.has_user(session->user)) return BrokerErrc::unauthenticated;
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

void IdentityService::record_auth_failure(const std::string& user, bool exists, std::string action,
                                          std::string why, std::string session_counter,
                                          std::optional<boost::json::object> lock,
                                          std::function<void(boost::system::error_code)> done) {
  const auto now = clock_();
  const auto policy = settings_.lockout;
  // A name that is no user may be a password typed into the wrong field: it is not written down,
  // only a tag keyed by the data key, which still lets an auditor group attempts but which nobody
  // holding only the database can test guesses against (an unkeyed hash falls to a dictionary).
  std::string object = "user/" + user;
  boost::json::object details{{"reason", why}};
  if (!exists) {
    object = "user/unknown";
    details["name_tag"] = unknown_login_name_tag(data_key_, user);
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
      [user, exists, session_counter, lock, action, object, details, now, policy,
       write_record](WriteContext& tx) {
        if (!session_counter.empty() && find_credentials(tx.db(), user)) {
          const auto row = find_source_failures(tx.db(), user, session_counter);
          const approvals::LockoutState state{static_cast<std::uint32_t>(row.failures),
                                              approvals::from_unix_seconds(row.locked_until)};
          const auto next = approvals::record_failure(state, policy, now);
          record_source_failure(tx, user, session_counter, static_cast<int>(next.failures),
                                approvals::to_unix_seconds(next.locked_until),
                                approvals::to_unix_seconds(now));
          if (approvals::is_locked(next, now) && !approvals::is_locked(state, now)) {
            tx.audit({"system", "user.locked_out", "user/" + user,
                      details_json({{"scope", "session"},
                                    {"failures", next.failures},
                                    {"until", approvals::to_unix_seconds(next.locked_until)}})});
          }
        }
        if (lock) tx.audit({"system", "user.locked_out", "user/" + user, details_json(*lock)});
        if (write_record) {
          tx.audit({exists ? user : "unknown", action, object, details_json(details)});
        }
        return boost::system::error_code{};
      },
      std::move(done));
}

void IdentityService::fail_login(const std::string& user, bool exists, const std::string& why,
                                 std::optional<boost::json::object> lock, const LoginDone& done) {
  record_auth_failure(
      user, exists, "login.failure", why, {}, std::move(lock),
      [done](boost::system::error_code ec) {
        done(ec == BrokerErrc::unavailable ? ec : make_error_code(BrokerErrc::unauthenticated));
      });
}

std::chrono::seconds IdentityService::admit_login(std::string_view remote_ip) {
  return limiter_.admit(source_of(remote_ip), clock_());
}

void IdentityService::login(std::string user, std::string password, const boost::json::value& mfa,
                            std::string_view remote_ip,
                            std::function<void(Result<IssuedSession>)> done) {
  auto answer = std::make_shared<LoginDone>(std::move(done));
  const bool queued =
      workers_.post([this, user = std::move(user), password = std::move(password),
                     mfa = boost::json::value(mfa), source = source_of(remote_ip), answer]() {
        try {
          login_now(user, password, mfa, source, *answer);
        } catch (...) {
          // The store or the allocator failed; a second answer, if one was already given, is
          // ignored.
          (*answer)(make_error_code(BrokerErrc::internal));
        }
      });
  if (!queued) (*answer)(make_error_code(BrokerErrc::rate_limited));
}

Result<std::optional<boost::json::object>> IdentityService::reserve_login_attempt(
    const std::string& user, const std::string& source, approvals::TimePoint now) {
  std::optional<boost::json::object> lock;
  const auto per_source_policy = settings_.lockout;
  const auto per_user_policy = settings_.user_lockout;
  // One transaction reads both counters, decides, and records this attempt as a failure: the
  // writer runs jobs one at a time, so no two attempts can both see the same count.
  const auto ec = store_.write_sync([&](WriteContext& tx) -> boost::system::error_code {
    const auto credentials = find_credentials(tx.db(), user);
    if (!credentials) return BrokerErrc::unauthenticated;
    const auto row = find_source_failures(tx.db(), user, source);
    const approvals::LockoutState per_user{static_cast<std::uint32_t>(credentials->failed_attempts),
                                           approvals::from_unix_seconds(credentials->locked_until)};
    const approvals::LockoutState per_source{static_cast<std::uint32_t>(row.failures),
                                             approvals::from_unix_seconds(row.locked_until)};
    const bool trusted =
        approvals::is_trusted_source(approvals::from_unix_seconds(row.last_success_at), now);
    if (auto admitted = approvals::check_login_attempt(per_source, per_user, trusted, now);
        !admitted) {
      return admitted.error();
    }
    const auto next_user = approvals::record_failure(per_user, per_user_policy, now);
    const auto next_source = approvals::record_failure(per_source, per_source_policy, now);
    record_login_failure(tx, user, static_cast<int>(next_user.failures),
                         approvals::to_unix_seconds(next_user.locked_until));
    const std::int64_t now_s = approvals::to_unix_seconds(now);
    record_source_failure(tx, user, source, static_cast<int>(next_source.failures),
                          approvals::to_unix_seconds(next_source.locked_until), now_s);
    prune_source_failures(tx, now_s - 2 * per_source_policy.cap.count(),
                          now_s - std::chrono::seconds(approvals::kTrustedSourceFor).count());
    const auto lock_details = [](std::string_view scope, const approvals::LockoutState& next) {
      return boost::json::object{{"scope", scope},
                                 {"failures", next.failures},
                                 {"until", approvals::to_unix_seconds(next.locked_until)}};
    };
    if (approvals::is_locked(next_source, now) && !approvals::is_locked(per_source, now)) {
      lock = lock_details("source", next_source);
      (*lock)["source"] = source;
    } else if (approvals::is_locked(next_user, now) && !approvals::is_locked(per_user, now)) {
      lock = lock_details("user", next_user);
    }
    return {};
  });
  if (ec) return ec;
  return lock;
}

void IdentityService::login_now(const std::string& user, const std::string& password,
                                const boost::json::value& mfa, const std::string& source,
                                const LoginDone& done) {
  const auto now = clock_();
  if (!config::is_safe_name(user)) {
    (void)approvals::dummy_verify(password);
    return fail_login(user, false, "malformed user name", std::nullopt, done);
  }
  auto credentials = store_.read([&](db::Connection& db) { return find_credentials(db, user); });
  const bool known = credentials.has_value() && policy_.find_user(user) != nullptr;
  if (!known) {
    (void)approvals::dummy_verify(password);
    return fail_login(user, false, "unknown user", std::nullopt, done);
  }
  if (credentials->password_hash.empty()) {
    // A user the broker created at an SSO login has no local password (docs/sso.md).
    (void)approvals::dummy_verify(password);
    return fail_login(user, true, "no local password (single sign-on user)", std::nullopt, done);
  }
  if (credentials->admin_locked) {
    (void)approvals::dummy_verify(password);
    return fail_login(user, true, "account locked by an administrator", std::nullopt, done);
  }
  auto reserved = reserve_login_attempt(user, source, now);
  if (!reserved) {
    if (reserved.error() == BrokerErrc::unavailable) return done(reserved.error());
    (void)approvals::dummy_verify(password);
    // Not counted: attempts during a lock do not extend it.
    return fail_login(user, true, "account locked after repeated failures", std::nullopt, done);
  }
  auto lock = std::move(*reserved);
  if (!approvals::verify_password(password, credentials->password_hash)) {
    return fail_login(user, true, "wrong password", std::move(lock), done);
  }
  auto submission = approvals::parse_mfa_submission(mfa);
  if (!submission) {
    return fail_login(user, true, "missing or malformed second factor", std::move(lock), done);
  }
  auto verified = store_.read([&](db::Connection& db) {
    return verify_mfa(mfa_context(), db, *credentials, *submission,
                      approvals::ChallengePurpose::login, nullptr, now);
  });
  if (!verified) {
    // The database (the shared challenges, docs/architecture.md "Ceremonies across brokers") and
    // not the caller: 503 and no audit of a wrong factor.
    if (verified.error() == ApprovalsErrc::unavailable) {
      return done(make_error_code(BrokerErrc::unavailable));
    }
    const bool replay = verified.error() == ApprovalsErrc::replayed;
    return fail_login(user, true, replay ? "second factor replayed" : "wrong second factor",
                      std::move(lock), done);
  }
  const auto limits = settings_.sessions;
  auto issued = std::make_shared<IssuedSession>();
  const bool cloned = verified->cloned_credential;
  store_.write(
      [user, source, verified = *verified, limits, issued, now,
       hash = credentials->password_hash](WriteContext& tx) -> boost::system::error_code {
        // An administrator may have locked or reset the account since the checks above.
        const auto current = find_credentials(tx.db(), user);
        if (!current || current->admin_locked || current->password_hash != hash) {
          return BrokerErrc::unauthenticated;
        }
        if (auto ec = commit_mfa(tx, verified)) return ec;
        if (verified.cloned_credential) return {};
        // The attempt reserved as a failure was not one: clear it, and trust this source.
        clear_login_failures(tx, user);
        record_source_success(tx, user, source, true, approvals::to_unix_seconds(now));
        *issued = create_session(tx, user, approvals::to_unix_seconds(now), limits);
        tx.audit({user, "login.success", "user/" + user,
                  details_json({{"factor", factor_name(verified.evidence)}})});
        return {};
      },
      [this, user, cloned, issued, lock, done](boost::system::error_code ec) mutable {
        if (ec == BrokerErrc::unavailable) return done(ec);
        if (ec || cloned) {
          return fail_login(user, true,
                            cloned                              ? "credential counter went back"
                            : ec == BrokerErrc::unauthenticated ? "account changed during login"
                                                                : "second factor replayed",
                            std::move(lock), done);
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

void IdentityService::record_presence_failure(const Caller& caller, std::string why,
                                              std::function<void(boost::system::error_code)> done) {
  record_auth_failure(caller.user, true, "presence.failure", std::move(why),
                      "session/" + caller.session.token_hash, std::nullopt, std::move(done));
}

}  // namespace jit::broker
