// Single sign-on endpoints (docs/api.md "Single sign-on", docs/sso.md):
//   GET  /v1/auth/sso                          -> 200 {providers: [{name, display_name}]}
//   GET  /v1/auth/sso/{name}/start[?next=/p]   -> 302 to the provider (sets __Host-jit_sso)
//   GET  /v1/auth/sso/{name}/callback?code&state -> 302 to the page with the session cookie
//   POST /v1/auth/sso/{name}/cli/begin  {redirect_uri, code_challenge} -> 200 {authorization_url,
//                                                                              state}
//   POST /v1/auth/sso/{name}/cli/finish {state, code, code_verifier}   -> 200 as POST /v1/login
//   POST /v1/auth/sso/{name}/device/begin {}  -> 200 {device_handle, user_code, verification_uri,
//                                                     verification_uri_complete, interval,
//                                                     expires_in}
//   POST /v1/auth/sso/{name}/device/poll {device_handle} -> 200 as POST /v1/login, or 202
//                                                     {status, interval} while waiting
#pragma once

#include "broker/auth/session_tokens.hpp"
#include "broker/http/http_types.hpp"
#include "broker/sso/sso_problem.hpp"

namespace jit::broker {

class Router;
class SsoService;

// Both halves: the page's (sso_web_api.cpp) and the CLI's (sso_cli_api.cpp).
void add_sso_routes(Router& router, SsoService& sso);
void add_sso_cli_routes(Router& router, SsoService& sso);

// The JSON error answer of a problem: {"error": message, "code": code}.
HttpResponse sso_problem_answer(const SsoProblem& problem);
// An error of SsoPendingLogins: 429 rate_limited when too many sign-ins are under way (add), else
// 503 unavailable (the shared table of a PostgreSQL deployment cannot be reached).
HttpResponse sso_pending_error_answer(boost::system::error_code error);
// The token answer of POST /v1/login: {token, csrf_token, user, expires_at}.
HttpResponse sso_token_answer(const IssuedSession& issued);

}  // namespace jit::broker
