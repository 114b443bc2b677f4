#include "broker/auth/passkeys.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/mfa_evidence.hpp"
#include "approvals/session_factor.hpp"
#include "approvals/webauthn_ceremony.hpp"
#include "broker/auth/credential_store.hpp"
#include "broker/auth/presence.hpp"
#include "broker/store/event_outbox.hpp"

#include <boost/json.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;

json::value evidence_of(const Presence& presence) {
  if (!presence.evidence) return json::object{};
  return approvals::mfa_evidence_to_json(*presence.evidence);
}

// A factor always in the call: the freshness rule says no to a session alone.
Result<void> factor_given(IdentityService& identity, const Caller& caller, const json::value* mfa) {
  if (mfa != nullptr && !mfa->is_null()) return {};
  return check_session_factor(caller, approvals::SessionFactor::not_enough, identity.settings(),
                              identity.now());
}

}  // namespace

bool has_broker_factor(IdentityService& identity, const std::string& user) {
  return identity.store().read([&](db::Connection& db) {
    const auto credentials = find_credentials(db, user);
    return (credentials && !credentials->sealed_totp_secret.empty()) ||
           !find_webauthn_credentials(db, user).empty();
  });
}

void register_passkey(IdentityService& identity, const Caller& caller,
                      const ca::Bytes& client_data_json, const ca::Bytes& attestation_object,
                      const json::value* mfa, PasskeyDone done) {
  // A user with no factor of the broker's own (made at an SSO login) registers the first
  // passkey on the strength of a fresh MFA login (approvals/session_factor.hpp).
  const bool has_factor = has_broker_factor(identity, caller.user);
  const auto rule = approvals::passkey_registration_rule(has_factor);
  if (rule == approvals::SessionFactor::not_enough) {
    if (auto given = factor_given(identity, caller, mfa); !given) return done(given.error());
  }
  auto registered = approvals::finish_registration(
      identity.challenges(), identity.settings().webauthn, caller.user, client_data_json,
      attestation_object, identity.now());
  if (!registered) return done(registered.error());
  WebAuthnCredentialRecord record{registered->id,         caller.user,
                                  registered->public_key, static_cast<int>(registered->alg),
                                  registered->sign_count, false};
  check_presence(
      identity, caller, mfa, rule, approvals::ChallengePurpose::presence, std::nullopt,
      [&identity, record, has_factor, done = std::move(done)](Result<Presence> presence) {
        if (!presence) return done(presence.error());
        identity.store().write(
            [record, has_factor,
             presence = std::move(*presence)](WriteContext& tx) -> boost::system::error_code {
              if (find_webauthn_credential(tx.db(), record.credential_id))
                return BrokerErrc::conflict;
              // Only one first passkey: a concurrent one made the user no longer factor-less.
              if (!has_factor && !find_webauthn_credentials(tx.db(), record.user).empty())
                return BrokerErrc::conflict;
              if (auto spent = spend_presence(tx, presence)) return spent;
              insert_webauthn_credential(tx, record);
              json::object details{
                  {"credential_id", ca::base64url_encode_unpadded(record.credential_id)},
                  {"alg", record.algorithm},
                  {"mfa", evidence_of(presence)}};
              tx.audit({record.user, "webauthn.register", "user/" + record.user,
                        json::serialize(details)});
              enqueue_event(
                  tx.db(), "passkey.registered",
                  {{"user", record.user},
                   {"credential_id", ca::base64url_encode_unpadded(record.credential_id)}},
                  tx.now_seconds());
              return {};
            },
            [done, id = ca::base64url_encode_unpadded(record.credential_id)](
                boost::system::error_code ec) {
              if (ec) return done(ec);
              done(id);
            });
      });
}

void remove_passkey(IdentityService& identity, const Caller& caller, const ca::Bytes& credential_id,
                    const json::value* mfa, PasskeyDone done) {
  auto stored = identity.store().read(
      [&](db::Connection& db) { return find_webauthn_credential(db, credential_id); });
  if (!stored || stored->user != caller.user) {
    return done(make_error_code(BrokerErrc::not_found));
  }
  if (auto given = factor_given(identity, caller, mfa); !given) return done(given.error());
  check_presence(
      identity, caller, mfa, approvals::SessionFactor::not_enough,
      approvals::ChallengePurpose::presence, std::nullopt,
      [&identity, credential_id, user = caller.user,
       done = std::move(done)](Result<Presence> presence) {
        if (!presence) return done(presence.error());
        const auto id = ca::base64url_encode_unpadded(credential_id);
        identity.store().write(
            [credential_id, user, id,
             presence = std::move(*presence)](WriteContext& tx) -> boost::system::error_code {
              // Spent first: an assertion by the passkey being removed still counts once.
              if (auto spent = spend_presence(tx, presence)) return spent;
              if (!delete_webauthn_credential(tx, user, credential_id))
                return BrokerErrc::not_found;  // rolls the spend back too
              json::object details{{"credential_id", id}, {"mfa", evidence_of(presence)}};
              tx.audit({user, "webauthn.remove", "user/" + user, json::serialize(details)});
              enqueue_event(tx.db(), "passkey.removed", {{"user", user}, {"credential_id", id}},
                            tx.now_seconds());
              return {};
            },
            [done, id](boost::system::error_code ec) {
              if (ec) return done(ec);
              done(id);
            });
      });
}

std::vector<WebAuthnCredentialRecord> passkeys_of(IdentityService& identity,
                                                  const std::string& user) {
  return identity.store().read(
      [&](db::Connection& db) { return find_webauthn_credentials(db, user); });
}

}  // namespace jit::broker
