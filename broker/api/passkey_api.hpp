// Managing one's own passkeys (issue 14 item 17): these routes parse and answer; the rules and
// the writes are in broker/auth/passkeys.hpp.
//   POST   /v1/webauthn/register/finish  {client_data_json, attestation_object, mfa}
//                                          -> 201 {credential_id}
//   GET    /v1/webauthn/credentials      -> 200 {credentials: [{id, created_at, last_used_at,
//                                                                algorithm, possibly_cloned}]}
//   DELETE /v1/webauthn/credentials/{id} {mfa} -> 200 {removed}
// `mfa` is {"totp": code} or {"webauthn": assertion} on a /v1/webauthn/presence/begin challenge,
// made with a passkey the caller already has. register/begin stays in auth_api.cpp.
#pragma once

#include "broker/auth/passkeys.hpp"

namespace jit::broker {

class Router;

void add_passkey_routes(Router& router, IdentityService& identity);

}  // namespace jit::broker
