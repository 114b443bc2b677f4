// Identity endpoints: login and logout, the current session, WebAuthn passkey registration and
// login challenges, and presence challenges for sensitive actions.
//   POST /v1/login                     {user, password, mfa}       -> 200 {token, csrf_token, user,
//   expires_at} POST /v1/logout                                                -> 200 {} GET
//   /v1/session                                               -> 200 {user, groups, expires_at,
//   last_mfa_at} POST /v1/webauthn/register/begin                               -> 200
//   PublicKeyCredentialCreationOptions (JSON-safe) POST /v1/webauthn/register/finish
//   {client_data_json, attestation_object} -> 201 {credential_id} POST /v1/webauthn/login/begin
//   {user}                      -> 200 PublicKeyCredentialRequestOptions POST
//   /v1/webauthn/login/finish     {user, password, webauthn}  -> as /v1/login POST
//   /v1/webauthn/presence/begin                               -> 200 request options for a fresh
//   assertion
#pragma once

namespace jit::broker {

class Router;
class IdentityService;

void add_auth_routes(Router& router, IdentityService& identity);

}  // namespace jit::broker
