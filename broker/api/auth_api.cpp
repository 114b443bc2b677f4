#include "broker/api/auth_api.hpp"

#include "approvals/approvals_error.hpp"
#include "approvals/webauthn_ceremony.hpp"
#include "broker/api/api_support.hpp"
#include "broker/auth/identity_service.hpp"
#include "broker/auth/passkeys.hpp"
#include "broker/auth/presence.hpp"
#include "broker/http/json_response.hpp"

#include <boost/json.hpp>

namespace jit::broker {

namespace json = boost::json;

// Built with append: GCC 12 at -O2 reports a false -Warray-bounds on long operator+ chains here.
std::string session_cookie_header(std::string_view token, std::int64_t max_age) {
  std::string header(kSessionCookie);
  header.append("=").append(token);
  header.append("; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=");
  header.append(std::to_string(max_age));
  return header;
}

namespace {

// Where a new session goes: the page keeps it in the HttpOnly cookie, so its body must not carry
// the token (a script on the page could read it there); the CLI and scripts keep the bearer token
// and get no cookie they would only have to ignore.
enum class SessionDelivery { token, cookie };

// A browser's sign-in is a cookie session: every current browser sends Sec-Fetch-Site with fetch,
// and a page may also ask with "session": "cookie". A request with Sec-Fetch-Site never gets the
// token, whatever its body asks, so a script injected into the page cannot ask for it either.
std::optional<SessionDelivery> session_delivery(const HttpRequest& request,
                                                const json::object& body,
                                                std::optional<FieldProblem>& problem) {
  auto asked = string_field(body, "session", 16, problem);
  if (problem) return std::nullopt;
  if (asked && *asked != "cookie" && *asked != "token") {
    problem = FieldProblem{"field 'session' must be \"cookie\" or \"token\""};
    return std::nullopt;
  }
  if (request.find("Sec-Fetch-Site") != request.end() || asked == "cookie")
    return SessionDelivery::cookie;
  return SessionDelivery::token;
}

HttpResponse session_answer(const IssuedSession& issued, const AuthSettings& settings,
                            SessionDelivery delivery) {
  json::object body;
  if (delivery == SessionDelivery::token) body["token"] = issued.token;
  body["csrf_token"] = issued.csrf_token;
  body["user"] = issued.record.user;
  body["expires_at"] = issued.record.expires_at;
  auto response = json_response(http::status::ok, body);
  // __Host-: Secure, Path=/, no Domain, so no other host or path can set or read it (invariant 7).
  if (delivery == SessionDelivery::cookie) {
    response.set(http::field::set_cookie,
                 session_cookie_header(issued.token, settings.sessions.absolute_timeout.count()));
  }
  return response;
}

// 429 with Retry-After: too many logins or challenges from this source, or from everyone.
HttpResponse rate_limited_answer(std::chrono::seconds retry_after) {
  auto response = error_answer(make_error_code(BrokerErrc::rate_limited));
  response.set(http::field::retry_after, std::to_string(retry_after.count()));
  return response;
}

void handle_login(IdentityService& identity, const HttpRequest& request, const json::object& body,
                  const Responder& respond, const char* mfa_field, const std::string& remote_ip) {
  std::optional<FieldProblem> problem;
  auto user = string_field(body, "user", 64, problem);
  auto password = string_field(body, "password", 1024, problem);
  const auto delivery = session_delivery(request, body, problem);
  if (problem || !delivery)
    return respond(error_answer(http::status::bad_request, "invalid_input",
                                problem ? problem->message : "invalid session field"));
  if (!user || !password) {
    return respond(
        error_answer(http::status::bad_request, "invalid_input", "user and password are required"));
  }
  // Refused before any work (no scrypt, no database) when this source or everyone is over the rate.
  if (const auto wait = identity.admit_login(remote_ip); wait.count() > 0) {
    return respond(rate_limited_answer(wait));
  }
  const json::value* mfa = body.if_contains(mfa_field);
  json::value mfa_value = json::value(nullptr);
  if (mfa != nullptr) {
    if (std::string_view(mfa_field) == "webauthn") {
      mfa_value = json::object{{"webauthn", *mfa}};
    } else {
      mfa_value = *mfa;
    }
  }
  identity.login(
      std::move(*user), std::move(*password), mfa_value, remote_ip,
      [respond, &identity, delivery = *delivery](Result<IssuedSession> issued) {
        if (!issued) {
          if (issued.error() == BrokerErrc::rate_limited)
            return respond(rate_limited_answer(std::chrono::seconds{1}));
          if (issued.error() == BrokerErrc::unavailable || issued.error() == BrokerErrc::internal)
            return respond(error_answer(issued.error()));
          // One answer for every failure, so it tells an attacker nothing.
          return respond(error_answer(http::status::unauthorized, "unauthenticated",
                                      "invalid credentials or account locked"));
        }
        respond(session_answer(*issued, identity.settings(), delivery));
      });
}

}  // namespace

json::object webauthn_request_options(IdentityService& identity, const ca::Bytes& challenge,
                                      const std::vector<WebAuthnCredentialRecord>& credentials) {
  json::array allow;
  for (const auto& credential : credentials) {
    if (!credential.possibly_cloned)
      allow.push_back(json::object{
          {"type", "public-key"}, {"id", ca::base64url_encode_unpadded(credential.credential_id)}});
  }
  const auto& settings = identity.settings().webauthn;
  return json::object{{"challenge", ca::base64url_encode_unpadded(challenge)},
                      {"rpId", settings.rp_id},
                      {"timeout", 120000},
                      {"userVerification", settings.require_uv ? "required" : "preferred"},
                      {"allowCredentials", std::move(allow)}};
}

void add_auth_routes(Router& router, IdentityService& identity) {
  router.add(http::verb::post, "/v1/login",
             [&identity](RequestContext&& context, Responder respond) {
               auto body = parse_json_body(context.request);
               if (!body) return respond(body.error());
               if (auto problem = only_fields(*body, {"user", "password", "mfa", "session"})) {
                 return respond(
                     error_answer(http::status::bad_request, "invalid_input", problem->message));
               }
               handle_login(identity, context.request, *body, respond, "mfa", context.remote_ip);
             });

  router.add(http::verb::post, "/v1/webauthn/login/finish",
             [&identity](RequestContext&& context, Responder respond) {
               auto body = parse_json_body(context.request);
               if (!body) return respond(body.error());
               if (auto problem = only_fields(*body, {"user", "password", "webauthn", "session"})) {
                 return respond(
                     error_answer(http::status::bad_request, "invalid_input", problem->message));
               }
               handle_login(identity, context.request, *body, respond, "webauthn",
                            context.remote_ip);
             });

  router.add(
      http::verb::post, "/v1/logout",
      authenticated(identity, [&identity](RequestContext&&, Responder respond, Caller caller) {
        identity.logout(caller, [respond](boost::system::error_code ec) {
          if (ec) return respond(error_answer(ec));
          auto response = json_response(http::status::ok, json::object{});
          response.set(http::field::set_cookie, session_cookie_header("", 0));
          respond(std::move(response));
        });
      }));

  router.add(
      http::verb::get, "/v1/session",
      authenticated(identity, [&identity](RequestContext&&, Responder respond, Caller caller) {
        json::array groups;
        // Static groups from the policy file, idp groups from the last SSO login.
        for (const auto& group : identity.policy().groups_of(caller.user)) {
          groups.push_back(json::string(group));
        }
        const bool has_passkey = !passkeys_of(identity, caller.user).empty();
        respond(
            json_response(http::status::ok,
                          json::object{{"user", caller.user},
                                       {"groups", std::move(groups)},
                                       {"expires_at", caller.session.expires_at},
                                       {"last_mfa_at", caller.session.last_mfa_at},
                                       {"has_passkey", has_passkey},
                                       {"has_factor", has_broker_factor(identity, caller.user)}}));
      }));

  router.add(http::verb::post, "/v1/webauthn/login/begin",
             [&identity](RequestContext&& context, Responder respond) {
               auto body = parse_json_body(context.request);
               if (!body) return respond(body.error());
               std::optional<FieldProblem> problem;
               auto user = string_field(*body, "user", 64, problem);
               if (problem || !user) {
                 return respond(error_answer(http::status::bad_request, "invalid_input",
                                             "field 'user' is required"));
               }
               // The anonymous pool, with a quota per source: it cannot starve the others.
               auto challenge = identity.challenges().issue(
                   approvals::ChallengePurpose::login, *user,
                   IdentityService::source_key(context.remote_ip), identity.now());
               if (!challenge && challenge.error() == approvals::ApprovalsErrc::rate_limited) {
                 return respond(rate_limited_answer(identity.settings().challenges.lifetime));
               }
               if (!challenge) return respond(error_answer(challenge.error()));
               // No credentials are listed to an unauthenticated caller, whoever the name is, so
               // the answer does not reveal who exists or who has a passkey; passkeys are
               // registered as discoverable (resident) credentials for this reason.
               respond(json_response(http::status::ok,
                                     webauthn_request_options(identity, *challenge, {})));
             });

  router.add(
      http::verb::post, "/v1/webauthn/presence/begin",
      authenticated(identity, [&identity](RequestContext&&, Responder respond, Caller caller) {
        auto challenge = identity.challenges().issue(approvals::ChallengePurpose::presence,
                                                     caller.user, identity.now());
        if (!challenge) return respond(error_answer(challenge.error()));
        respond(json_response(
            http::status::ok,
            webauthn_request_options(identity, *challenge, passkeys_of(identity, caller.user))));
      }));

  router.add(
      http::verb::post, "/v1/webauthn/register/begin",
      authenticated(identity, [&identity](RequestContext&&, Responder respond, Caller caller) {
        // Adding a factor needs a recent proof of one: the login's MFA, within the window.
        if (auto fresh = check_session_factor(caller, approvals::SessionFactor::when_fresh,
                                              identity.settings(), identity.now());
            !fresh) {
          return respond(error_answer(to_http_status(fresh.error()), error_code_name(fresh.error()),
                                      "sign in again to register a passkey"));
        }
        auto challenge = identity.challenges().issue(approvals::ChallengePurpose::registration,
                                                     caller.user, identity.now());
        if (!challenge) return respond(error_answer(challenge.error()));
        json::array exclude;
        for (const auto& credential : passkeys_of(identity, caller.user)) {
          exclude.push_back(
              json::object{{"type", "public-key"},
                           {"id", ca::base64url_encode_unpadded(credential.credential_id)}});
        }
        const auto& settings = identity.settings().webauthn;
        respond(json_response(
            http::status::ok,
            json::object{{"challenge", ca::base64url_encode_unpadded(*challenge)},
                         {"rp", json::object{{"id", settings.rp_id}, {"name", "jitbroker"}}},
                         {"user", json::object{{"id", ca::base64url_encode_unpadded(
                                                          webauthn_user_handle(caller.user))},
                                               {"name", caller.user},
                                               {"displayName", caller.user}}},
                         {"pubKeyCredParams",
                          json::array{json::object{{"type", "public-key"}, {"alg", -7}},
                                      json::object{{"type", "public-key"}, {"alg", -8}}}},
                         {"timeout", 120000},
                         {"attestation", "none"},
                         {"excludeCredentials", std::move(exclude)},
                         {"authenticatorSelection",
                          json::object{{"residentKey", "required"},
                                       {"requireResidentKey", true},
                                       {"userVerification",
                                        settings.require_uv ? "required" : "preferred"}}}}));
      }));
  // POST /v1/webauthn/register/finish is in passkey_api.cpp: it needs a fresh factor.
}

}  // namespace jit::broker
