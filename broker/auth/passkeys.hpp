// Managing one's own passkeys (issue 14 item 17), behind broker/api/passkey_api.cpp. Adding or
// removing a factor needs one in the same call: a session alone (even one signed in seconds ago)
// is not enough, so a stolen session cannot plant a passkey. Each change is one write transaction
// that spends the factor (broker/auth/presence.hpp), stores the change and its audit record with
// the factor's evidence, and its event (passkey.registered, passkey.removed, with {user,
// credential_id}) into the event outbox.
#pragma once

#include "broker/auth/credential_store.hpp"
#include "broker/auth/identity_service.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <string>
#include <vector>

namespace jit::broker {

// Answers the credential id, base64url.
using PasskeyDone = std::function<void(Result<std::string>)>;

// Finishes a registration begun by POST /v1/webauthn/register/begin: the attestation is checked
// first (so a factor is never spent on a registration that fails), then the factor in `mfa`; a
// credential id already on record is a conflict.
void register_passkey(IdentityService& identity, const Caller& caller,
                      const ca::Bytes& client_data_json, const ca::Bytes& attestation_object,
                      const boost::json::value* mfa, PasskeyDone done);

// Removes one of the caller's passkeys. Someone else's is not_found, like one that does not exist,
// and costs no factor.
void remove_passkey(IdentityService& identity, const Caller& caller, const ca::Bytes& credential_id,
                    const boost::json::value* mfa, PasskeyDone done);

// Whether `user` has a factor of the broker's own (a TOTP secret or a passkey). A user made at an
// SSO login has none until a first passkey (approvals/session_factor.hpp).
bool has_broker_factor(IdentityService& identity, const std::string& user);

// The caller's passkeys, as stored.
std::vector<WebAuthnCredentialRecord> passkeys_of(IdentityService& identity,
                                                  const std::string& user);

}  // namespace jit::broker
