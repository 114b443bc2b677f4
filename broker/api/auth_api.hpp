// Identity endpoints: login and logout, the current session, WebAuthn passkey registration and
// login challenges, and presence challenges for sensitive actions.
//   POST /v1/login                     {user, password, mfa}  -> 200 {token, csrf_token, user,
//                                                                    expires_at}
//   POST /v1/logout                                           -> 200 {}
//   GET  /v1/session                                          -> 200 {user, groups, expires_at,
//                                                                    last_mfa_at, has_passkey}
//   POST /v1/webauthn/register/begin                          -> 200 creation options
//   (POST /v1/webauthn/register/finish and the credential list/removal: passkey_api.hpp)
//   POST /v1/webauthn/login/begin      {user}                 -> 200 request options
//   POST /v1/webauthn/login/finish     {user, password, webauthn} -> as /v1/login
//   POST /v1/webauthn/presence/begin                          -> 200 request options
#pragma once

#include "ca/bytes.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jit::broker {

class Router;
class IdentityService;
struct WebAuthnCredentialRecord;

void add_auth_routes(Router& router, IdentityService& identity);

// The Set-Cookie value of the page's session cookie (__Host-, HttpOnly, SameSite=Strict);
// an empty token with max_age 0 deletes it.
std::string session_cookie_header(std::string_view token, std::int64_t max_age);

// PublicKeyCredentialRequestOptions (JSON-safe: base64url strings) for `challenge`, allowing the
// given credentials (none: discoverable credentials only).
boost::json::object webauthn_request_options(
    IdentityService& identity, const ca::Bytes& challenge,
    const std::vector<WebAuthnCredentialRecord>& credentials);

}  // namespace jit::broker
