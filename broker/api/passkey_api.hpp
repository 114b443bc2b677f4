// Managing one's own passkeys (issue 14 item 17). Adding or removing a factor needs a fresh one in
// the same call: a session alone (even one signed in seconds ago) is not enough, so a stolen
// session cannot plant a passkey. Each change is audited with the factor's evidence and announced.
//   POST   /v1/webauthn/register/finish  {client_data_json, attestation_object, mfa}
//                                          -> 201 {credential_id}
//   GET    /v1/webauthn/credentials      -> 200 {credentials: [{id, created_at, last_used_at,
//                                                                algorithm, possibly_cloned}]}
//   DELETE /v1/webauthn/credentials/{id} {mfa} -> 200 {removed}
// `mfa` is {"totp": code} or {"webauthn": assertion} on a /v1/webauthn/presence/begin challenge,
// made with a passkey the caller already has. register/begin stays in auth_api.cpp.
#pragma once

#include <boost/json/object.hpp>

#include <functional>
#include <string>

namespace jit::broker {

class Router;
class IdentityService;

// Webhook events: passkey.registered and passkey.removed, with {user, credential_id}. Called after
// the commit; must only queue work.
using PasskeyNotify = std::function<void(std::string event, boost::json::object data)>;

void add_passkey_routes(Router& router, IdentityService& identity, PasskeyNotify notify);

}  // namespace jit::broker
