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
      clock_(std::move(clock)) {}

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

void IdentityService::fail_login(const std::string& user, bool known, const std::string& why,
                                 std::function<void(Result<IssuedSession>)> done) {
  const auto now = clock_();
  const auto policy = settings_.lockout;
  store_.write(
      [user, known, why, now, policy](WriteContext& tx) {
        if (known) {
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
        tx.audit({known ? user : "unknown", "login.failure", "user/" + user,
                  details_json({{"reason", why}})});
        return boost::system::error_code{};
      },
      [done = std::move(done)](boost::system::error_code ec) {
        done(ec == BrokerErrc::unavailable ? ec : make_error_code(BrokerErrc::unauthenticated));
      });
}

void IdentityService::login(std::string user, std::string password, const boost::json::value& mfa,
                            std::function<void(Result<IssuedSession>)> done) {
  const auto now = clock_();
  if (!is_safe_name(user)) {
    (void)approvals::dummy_verify(password);
    return fail_login("invalid-name", false, "malformed user name", std::move(done));
  }
  auto credentials = store_.read([&](SQLite::Database& db) { return find_credentials(db, user); });
  const bool known = credentials.has_value() && policy_.find_user(user) != nullptr;
  if (!known) {
    (void)approvals::dummy_verify(password);
    return fail_login(user, false, "unknown user", std::move(done));
  }
  if (credentials->admin_locked) {
    (void)approvals::dummy_verify(password);
    return fail_login(user, false, "account locked by an administrator", std::move(done));
  }
  approvals::LockoutState lockout{static_cast<std::uint32_t>(credentials->failed_attempts),
                                  approvals::from_unix_seconds(credentials->locked_until)};
  if (approvals::is_locked(lockout, now)) {
    (void)approvals::dummy_verify(password);
    // Not counted: attempts during a lock do not extend it.
    return fail_login(user, false, "account locked after repeated failures", std::move(done));
  }
  if (!approvals::verify_password(password, credentials->password_hash)) {
    return fail_login(user, true, "wrong password", std::move(done));
  }
  auto submission = approvals::parse_mfa_submission(mfa);
  if (!submission)
    return fail_login(user, true, "missing or malformed second factor", std::move(done));
  auto verified = store_.read([&](SQLite::Database& db) {
    return verify_mfa(mfa_context(), db, *credentials, *submission, MfaPurpose::login, nullptr,
                      now);
  });
  if (!verified) {
    const bool replay = verified.error() == ApprovalsErrc::replayed;
    return fail_login(user, true, replay ? "second factor replayed" : "wrong second factor",
                      std::move(done));
  }
  const auto limits = settings_.sessions;
  auto issued = std::make_shared<IssuedSession>();
  const bool cloned = verified->cloned_credential;
  store_.write(
      [user, verified = *verified, limits, issued,
       now](WriteContext& tx) -> boost::system::error_code {
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
          return fail_login(user, true,
                            cloned ? "credential counter went back" : "second factor replayed",
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
  auto verified = store_.read([&](SQLite::Database& db) {
    return verify_mfa(mfa_context(), db, *credentials, *submission, purpose,
                      approval_subject ? &*approval_subject : nullptr, now);
  });
  if (!verified) return done(verified.error());
  const bool cloned = verified->cloned_credential;
  store_.write(
      [caller, verified = *verified, now](WriteContext& tx) -> boost::system::error_code {
        if (auto ec = commit_mfa(tx, verified)) return ec;
        if (!verified.cloned_credential) {
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
