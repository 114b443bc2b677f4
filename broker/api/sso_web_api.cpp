#include "broker/api/api_support.hpp"
#include "broker/api/auth_api.hpp"
#include "broker/api/sso_api.hpp"
#include "broker/http/json_response.hpp"
#include "broker/http/router.hpp"
#include "broker/sso/sso_service.hpp"
#include "ca/bytes.hpp"

#include <boost/json.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;

// Binds a web login's state to the browser that began it (docs/sso.md, "How sign-in works"):
// Lax, so the provider's top-level redirect back brings it; HttpOnly; gone after 10 minutes.
constexpr std::string_view kSsoBindingCookie = "__Host-jit_sso";
// Hands the new session's CSRF token to the page once, after the redirect: readable by the
// page's script (which keeps the token anyway), Strict, and deleted by the page at once.
constexpr std::string_view kSsoCsrfCookie = "__Host-jit_sso_csrf";

std::string cookie_header(std::string_view name, std::string_view value, std::string_view flags,
                          std::int64_t max_age) {
  std::string header(name);
  header.append("=").append(value).append("; Path=/; Secure; ").append(flags);
  header.append("; Max-Age=").append(std::to_string(max_age));
  return header;
}

HttpResponse redirect_to(const std::string& location) {
  HttpResponse response{http::status::found, 11};
  response.set(http::field::location, location);
  response.set(http::field::cache_control, "no-store");
  response.prepare_payload();
  return response;
}

// Only a path on this site: "/..." but not "//host" or "/\host", printable ASCII, short.
std::string safe_next(const std::string& next) {
  if (next.empty() || next.size() > 512 || next[0] != '/') return "/";
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "/";
  for (const char c : next) {
    if (c <= 0x20 || c >= 0x7f || c == '\\') return "/";
  }
  return next;
}

bool same_hash(const std::string& a, const std::string& b) {
  return a.size() == b.size() && ca::constant_time_equal(ca::as_bytes(a), ca::as_bytes(b));
}

void start_web_login(SsoService& sso, OidcProviderClient& provider, std::string next,
                     const Responder& respond) {
  provider.endpoints([&sso, &provider, next = std::move(next),
                      respond](SsoResult<OidcEndpoints> endpoints) {
    if (!endpoints) return respond(sso_problem_answer(endpoints.problem()));
    PendingSsoLogin login;
    login.provider = provider.settings().name;
    login.flow = SsoFlow::web;
    login.nonce = random_token();
    login.code_verifier = random_token();
    login.redirect_uri = provider.settings().redirect_uri;
    const std::string binding = random_token();
    login.binding_hash = token_hash_hex(binding);
    login.next = next;
    const auto challenge = pkce_challenge(login.code_verifier);
    const auto nonce = login.nonce;
    auto state = sso.pending().add(std::move(login), SsoPendingLogins::Clock::now());
    if (!state) return respond(sso_pending_error_answer(state.error()));
    auto response =
        redirect_to(SsoService::authorization_url(*endpoints, provider.settings(), *state, nonce,
                                                  challenge, provider.settings().redirect_uri));
    response.set(http::field::set_cookie,
                 cookie_header(kSsoBindingCookie, binding, "HttpOnly; SameSite=Lax",
                               kSsoLoginLifetime.count()));
    respond(std::move(response));
  });
}

void finish_web_login(SsoService& sso, OidcProviderClient& provider, RequestContext& context,
                      const Responder& respond) {
  const auto state = context.query("state");
  const auto refuse = [&](std::string code, std::string message) {
    respond(error_response(http::status::bad_request, code, message));
  };
  // Taken at once: a state is spent by its first use, whatever happens next.
  std::optional<PendingSsoLogin> login;
  if (!state.empty() && state.size() <= 64) {
    auto taken = sso.pending().take(state, SsoPendingLogins::Clock::now());
    if (!taken) return respond(sso_pending_error_answer(taken.error()));
    login = std::move(*taken);
  }
  if (!login || login->flow != SsoFlow::web || login->provider != provider.settings().name) {
    return refuse("invalid_state", "this sign-in is unknown, used already or expired; start again");
  }
  const auto binding = request_cookie(context.request, kSsoBindingCookie);
  if (!binding || !same_hash(token_hash_hex(*binding), login->binding_hash)) {
    return sso.sign_in().refuse(
        provider.settings().name,
        {http::status::bad_request, "sso_binding_mismatch",
         "this sign-in was started in another browser; start again"},
        [respond](SsoProblem problem) { respond(sso_problem_answer(problem)); });
  }
  // RFC 9207: when the provider names itself in the answer, it must be the one we sent to.
  if (context.has_query("iss") && context.query("iss") != provider.settings().issuer) {
    return refuse("invalid_issuer", "the answer names another identity provider");
  }
  if (context.has_query("error")) {
    std::string error = context.query("error");
    if (error.size() > 64 ||
        error.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
      error = "error";
    }
    return sso.sign_in().refuse(
        provider.settings().name,
        {http::status::unauthorized, "sso_refused", "the identity provider refused: " + error},
        [respond](SsoProblem problem) { respond(sso_problem_answer(problem)); });
  }
  const auto code = context.query("code");
  if (code.empty() || code.size() > 2048) return refuse("invalid_input", "code is missing");
  sso.redeem_code(
      provider, code, login->redirect_uri, login->code_verifier, login->nonce,
      [&sso, respond, next = login->next](SsoResult<IssuedSession> issued) {
        if (!issued) return respond(sso_problem_answer(issued.problem()));
        const auto max_age = issued->record.expires_at - sso.now_seconds();
        auto response = redirect_to(next);
        response.insert(http::field::set_cookie, session_cookie_header(issued->token, max_age));
        response.insert(http::field::set_cookie,
                        cookie_header(kSsoCsrfCookie, issued->csrf_token, "SameSite=Strict", 120));
        response.insert(http::field::set_cookie,
                        cookie_header(kSsoBindingCookie, "", "HttpOnly; SameSite=Lax", 0));
        respond(std::move(response));
      });
}

}  // namespace

HttpResponse sso_problem_answer(const SsoProblem& problem) {
  return error_response(problem.status, problem.code, problem.message);
}

HttpResponse sso_pending_error_answer(boost::system::error_code error) {
  if (error == BrokerErrc::rate_limited) {
    return error_response(http::status::too_many_requests, "rate_limited",
                          "too many sign-ins under way; try again in a few minutes");
  }
  return error_response(http::status::service_unavailable, "unavailable",
                        "the database is unavailable; try again shortly");
}

HttpResponse sso_token_answer(const IssuedSession& issued) {
  return json_response(http::status::ok, json::object{{"token", issued.token},
                                                      {"csrf_token", issued.csrf_token},
                                                      {"user", issued.record.user},
                                                      {"expires_at", issued.record.expires_at}});
}

void add_sso_routes(Router& router, SsoService& sso) {
  router.add(http::verb::get, "/v1/auth/sso", [&sso](RequestContext&&, Responder respond) {
    json::array providers;
    for (const auto& provider : sso.providers()) {
      const auto& settings = provider->settings();
      providers.push_back(json::object{
          {"name", settings.name},
          {"display_name", settings.display_name.empty() ? settings.name : settings.display_name}});
    }
    respond(json_response(http::status::ok, json::object{{"providers", std::move(providers)}}));
  });
  router.add(http::verb::get, "/v1/auth/sso/{name}/start",
             [&sso](RequestContext&& context, Responder respond) {
               auto* provider = sso.provider(context.params.at("name"));
               if (provider == nullptr) {
                 return respond(error_response(http::status::not_found, "not_found",
                                               "no such identity provider"));
               }
               start_web_login(sso, *provider, safe_next(context.query("next")), respond);
             });
  router.add(http::verb::get, "/v1/auth/sso/{name}/callback",
             [&sso](RequestContext&& context, Responder respond) {
               auto* provider = sso.provider(context.params.at("name"));
               if (provider == nullptr) {
                 return respond(error_response(http::status::not_found, "not_found",
                                               "no such identity provider"));
               }
               finish_web_login(sso, *provider, context, respond);
             });
  add_sso_cli_routes(router, sso);
}

}  // namespace jit::broker
