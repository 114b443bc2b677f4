#include "broker/auth/presence.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/approvals_error.hpp"
#include "approvals/mfa_submission.hpp"
#include "broker/auth/credential_store.hpp"
#include "broker/auth/session_tokens.hpp"

#include <variant>

namespace jit::broker {

using approvals::ApprovalsErrc;

namespace {

// A TOTP code whose step was already used (the sign-in's own code, typed again within its 30 s)
// is answered totp_code_used, so the client says "enter the next one" instead of suggesting that
// the session ended (401). A used WebAuthn challenge stays `replayed` (unauthenticated).
boost::system::error_code totp_code_used_answer(boost::system::error_code error, bool totp) {
  if (totp && error == ApprovalsErrc::replayed) return make_error_code(BrokerErrc::totp_code_used);
  return error;
}

}  // namespace

Result<void> check_session_factor(const Caller& caller, approvals::SessionFactor rule,
                                  const AuthSettings& settings, approvals::TimePoint now) {
  if (approvals::session_factor_suffices(rule, caller.session.last_mfa_at,
                                         approvals::to_unix_seconds(now), settings.mfa_freshness)) {
    return {};
  }
  return make_error_code(BrokerErrc::mfa_required);
}

void check_presence(IdentityService& identity, const Caller& caller, const boost::json::value* mfa,
                    approvals::SessionFactor rule, approvals::ChallengePurpose purpose,
                    std::optional<approvals::ApprovalSubject> approval_subject,
                    std::function<void(Result<Presence>)> done) {
  const auto now = identity.now();
  if (mfa == nullptr || mfa->is_null()) {
    if (auto fresh = check_session_factor(caller, rule, identity.settings(), now); !fresh) {
      return done(fresh.error());
    }
    Presence fresh_session;
    fresh_session.sso_login = caller.session.sso_login;
    return done(std::move(fresh_session));
  }
  auto submission = approvals::parse_mfa_submission(*mfa);
  if (!submission) return done(submission.error());
  Store& store = identity.store();
  auto credentials =
      store.read([&](db::Connection& db) { return find_credentials(db, caller.user); });
  if (!credentials) return done(make_error_code(BrokerErrc::unauthenticated));
  if (credentials->admin_locked) return done(make_error_code(ApprovalsErrc::locked));
  // Only this session's own failed proofs lock it: password failures, from anywhere, never do.
  const std::string counter = "session/" + caller.session.token_hash;
  const auto row = store.read(
      [&](db::Connection& db) { return find_source_failures(db, caller.user, counter); });
  const approvals::LockoutState lockout{static_cast<std::uint32_t>(row.failures),
                                        approvals::from_unix_seconds(row.locked_until)};
  if (approvals::is_locked(lockout, now)) return done(make_error_code(ApprovalsErrc::locked));
  auto verified = store.read([&](db::Connection& db) {
    return verify_mfa(identity.mfa_context(), db, *credentials, *submission, purpose,
                      approval_subject ? &*approval_subject : nullptr, now);
  });
  if (!verified) {
    // The shared challenges could not be reached (docs/architecture.md, "Ceremonies across
    // brokers"): the database's fault, not the caller's, so 503 and nothing counted.
    if (verified.error() == ApprovalsErrc::unavailable) {
      return done(make_error_code(BrokerErrc::unavailable));
    }
    // Failed proofs count toward this session's lockout (invariant 5) and are audited, a code used
    // already as much as a wrong one; only the answer differs (totp_code_used_answer).
    const auto error = verified.error();
    const bool totp = std::holds_alternative<approvals::TotpSubmission>(*submission);
    return identity.record_presence_failure(
        caller, error == ApprovalsErrc::replayed ? "second factor replayed" : "wrong second factor",
        [error, totp, done = std::move(done)](boost::system::error_code ec) {
          done(ec ? ec : totp_code_used_answer(error, totp));
        });
  }
  if (verified->cloned_credential) {
    // Refused whatever the action: the mark is the only thing written.
    return store.write([cloned = *verified](WriteContext& tx) { return commit_mfa(tx, cloned); },
                       [done = std::move(done)](boost::system::error_code ec) {
                         done(ec ? ec : make_error_code(ApprovalsErrc::counter_regressed));
                       });
  }
  done(Presence{verified->evidence, *verified, caller.session.token_hash, now,
                caller.session.sso_login});
}

boost::system::error_code spend_presence(WriteContext& tx, const Presence& presence) {
  if (!presence.factor) return {};
  if (auto ec = commit_mfa(tx, *presence.factor)) {
    // A concurrent call spent the step first: not counted (as before), but said as plainly.
    return totp_code_used_answer(ec,
                                 presence.factor->evidence.factor == approvals::MfaFactor::totp);
  }
  const auto at = approvals::to_unix_seconds(presence.at);
  record_source_success(tx, presence.factor->user, "session/" + presence.session_hash, false, at);
  record_session_mfa(tx, presence.session_hash, at);
  return {};
}

}  // namespace jit::broker
