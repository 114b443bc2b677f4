#include "broker/api/api_support.hpp"
#include "broker/api/sso_api.hpp"
#include "broker/http/json_response.hpp"
#include "broker/http/router.hpp"
#include "broker/sso/sso_service.hpp"
#include "ca/bytes.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

namespace jit::broker {
namespace {

namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

// RFC 8252 section 7.3: http on the loopback address, any port, and our one path.
bool is_loopback_callback(std::string_view uri) {
  std::string_view rest;
  if (uri.starts_with("http://127.0.0.1:")) {
    rest = uri.substr(17);
  } else if (uri.starts_with("http://[::1]:")) {
    rest = uri.substr(13);
  } else {
    return false;
  }
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || rest.substr(slash) != "/callback") return false;
  const auto port_text = rest.substr(0, slash);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  return ec == std::errc{} && end == port_text.data() + port_text.size() && port >= 1 &&
         port <= 65535 && port_text[0] != '0';
}

// base64url, `min`..`max` characters (PKCE verifiers, challenges and our handles).
bool is_base64url(std::string_view text, std::size_t min, std::size_t max) {
  if (text.size() < min || text.size() > max) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// RFC 7636 section 4.1: the verifier's unreserved alphabet, 43 to 128 characters.
bool is_code_verifier(std::string_view text) {
  if (text.size() < 43 || text.size() > 128) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
  });
}

HttpResponse bad_field(std::string message) {
  return error_response(http::status::bad_request, "invalid_input", message);
}

// Handlers with a provider from the path and a JSON body with only `fields`.
template <typename Fn>
Handler with_provider_body(SsoService& sso, std::initializer_list<std::string_view> fields, Fn fn) {
  return [&sso, fields = std::vector<std::string_view>(fields), fn](RequestContext&& context,
                                                                    Responder respond) {
    auto* provider = sso.provider(context.params.at("name"));
    if (provider == nullptr) {
      return respond(
          error_response(http::status::not_found, "not_found", "no such identity provider"));
    }
    auto body = parse_json_body(context.request);
    if (!body) return respond(body.error());
    for (const auto& member : *body) {
      if (std::find(fields.begin(), fields.end(), member.key()) == fields.end()) {
        return respond(bad_field("unknown field '" + std::string(member.key()) + "'"));
      }
    }
    fn(*provider, *body, std::move(respond));
  };
}

std::string text_field(const json::object& body, std::string_view name) {
  const auto* value = body.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

void cli_begin(SsoService& sso, OidcProviderClient& provider, const json::object& body,
               Responder respond) {
  auto redirect_uri = text_field(body, "redirect_uri");
  auto challenge = text_field(body, "code_challenge");
  if (!is_loopback_callback(redirect_uri)) {
    return respond(bad_field(
        "redirect_uri must be http://127.0.0.1:PORT/callback or http://[::1]:PORT/callback"));
  }
  if (!is_base64url(challenge, 43, 43)) {
    return respond(bad_field("code_challenge must be the base64url SHA-256 of the verifier"));
  }
  provider.endpoints([&sso, &provider, redirect_uri = std::move(redirect_uri),
                      challenge = std::move(challenge),
                      respond = std::move(respond)](SsoResult<OidcEndpoints> endpoints) {
    if (!endpoints) return respond(sso_problem_answer(endpoints.problem()));
    PendingSsoLogin login;
    login.provider = provider.settings().name;
    login.flow = SsoFlow::cli;
    login.nonce = random_token();
    login.code_challenge = challenge;
    login.redirect_uri = redirect_uri;
    const auto nonce = login.nonce;
    auto state = sso.pending().add(std::move(login), SteadyClock::now());
    if (!state) return respond(sso_pending_error_answer(state.error()));
    respond(json_response(
        http::status::ok,
        json::object{{"authorization_url",
                      SsoService::authorization_url(*endpoints, provider.settings(), *state, nonce,
                                                    challenge, redirect_uri)},
                     {"state", *state}}));
  });
}

void cli_finish(SsoService& sso, OidcProviderClient& provider, const json::object& body,
                Responder respond) {
  const auto state = text_field(body, "state");
  const auto code = text_field(body, "code");
  const auto verifier = text_field(body, "code_verifier");
  if (!is_base64url(state, 43, 43) || code.empty() || code.size() > 2048 ||
      !is_code_verifier(verifier)) {
    return respond(bad_field("state, code and code_verifier are required"));
  }
  auto taken = sso.pending().take(state, SteadyClock::now());
  if (!taken) return respond(sso_pending_error_answer(taken.error()));
  auto& login = *taken;
  if (!login || login->flow != SsoFlow::cli || login->provider != provider.settings().name) {
    return respond(error_response(http::status::bad_request, "invalid_state",
                                  "this sign-in is unknown, used already or expired; start again"));
  }
  const auto challenge = pkce_challenge(verifier);
  if (challenge.size() != login->code_challenge.size() ||
      !ca::constant_time_equal(ca::as_bytes(challenge), ca::as_bytes(login->code_challenge))) {
    return respond(error_response(http::status::bad_request, "invalid_verifier",
                                  "code_verifier does not match the code_challenge sent"));
  }
  sso.redeem_code(provider, code, login->redirect_uri, verifier, login->nonce,
                  [respond = std::move(respond)](SsoResult<IssuedSession> issued) {
                    if (!issued) return respond(sso_problem_answer(issued.problem()));
                    respond(sso_token_answer(*issued));
                  });
}

HttpResponse device_wait_answer(std::string_view status, std::chrono::seconds interval) {
  return json_response(http::status::accepted,
                       json::object{{"status", status}, {"interval", interval.count()}});
}

HttpResponse device_error_answer(http::status status, std::string_view code,
                                 std::string_view message) {
  return json_response(status, json::object{{"error", code}, {"code", code}, {"message", message}});
}

void device_begin(SsoService& sso, OidcProviderClient& provider, Responder respond) {
  std::string scope;
  for (const auto& value : provider.settings().scopes) scope += (scope.empty() ? "" : " ") + value;
  provider.device_authorization_request(
      "client_id=" + form_encode(provider.settings().client_id) + "&scope=" + form_encode(scope),
      [&sso, &provider, respond = std::move(respond)](SsoResult<OidcEndpointAnswer> answer) {
        if (!answer) return respond(sso_problem_answer(answer.problem()));
        const auto& body = answer->body;
        const auto device_code = text_field(body, "device_code");
        const auto user_code = text_field(body, "user_code");
        const auto verification_uri = text_field(body, "verification_uri");
        auto verification_uri_complete = text_field(body, "verification_uri_complete");
        if (answer->status != 200 || device_code.empty() || device_code.size() > 1024 ||
            user_code.empty() || user_code.size() > 64 ||
            !verification_uri.starts_with("https://")) {
          return respond(sso_problem_answer(
              idp_unavailable("the identity provider refused the device authorization")));
        }
        if (!verification_uri_complete.starts_with("https://")) verification_uri_complete.clear();
        std::int64_t interval = 5;
        if (const auto* value = body.if_contains("interval"); value && value->is_int64()) {
          interval = std::clamp<std::int64_t>(value->as_int64(), 1, 60);
        }
        std::int64_t expires_in = kSsoLoginLifetime.count();
        if (const auto* value = body.if_contains("expires_in"); value && value->is_int64()) {
          expires_in = std::clamp<std::int64_t>(value->as_int64(), 1, expires_in);
        }
        PendingSsoLogin login;
        login.provider = provider.settings().name;
        login.flow = SsoFlow::device;
        login.device_code = device_code;
        login.interval = std::chrono::seconds(interval);
        login.next_poll = SteadyClock::now();
        auto handle = sso.pending().add(std::move(login), SteadyClock::now());
        if (!handle) return respond(sso_pending_error_answer(handle.error()));
        respond(json_response(http::status::ok,
                              json::object{{"device_handle", *handle},
                                           {"user_code", user_code},
                                           {"verification_uri", verification_uri},
                                           {"verification_uri_complete", verification_uri_complete},
                                           {"interval", interval},
                                           {"expires_in", expires_in}}));
      });
}

void device_poll(SsoService& sso, OidcProviderClient& provider, const json::object& body,
                 Responder respond) {
  const auto handle = text_field(body, "device_handle");
  if (!is_base64url(handle, 43, 43)) return respond(bad_field("device_handle is required"));
  const auto now = SteadyClock::now();
  auto peeked = sso.pending().peek(handle, now);
  if (!peeked) return respond(sso_pending_error_answer(peeked.error()));
  auto& login = *peeked;
  if (!login || login->flow != SsoFlow::device || login->provider != provider.settings().name) {
    return respond(device_error_answer(http::status::bad_request, "expired_token",
                                       "this device sign-in is unknown or expired; start again"));
  }
  // The provider's pace, kept for it: a CLI that polls faster is told to slow down here.
  if (now < login->next_poll) return respond(device_wait_answer("slow_down", login->interval));
  login->next_poll = now + login->interval;
  sso.pending().put_back(handle, *login);
  const std::string form =
      "grant_type=" + form_encode("urn:ietf:params:oauth:grant-type:device_code") +
      "&device_code=" + form_encode(login->device_code);
  provider.token_request(form, [&sso, &provider, handle, login = *login,
                                respond = std::move(respond)](
                                   SsoResult<OidcEndpointAnswer> answer) mutable {
    if (!answer) return respond(sso_problem_answer(answer.problem()));
    if (answer->status != 200) {
      const auto error = text_field(answer->body, "error");
      if (error == "authorization_pending") {
        return respond(device_wait_answer("authorization_pending", login.interval));
      }
      if (error == "slow_down") {
        login.interval += std::chrono::seconds(5);  // RFC 8628 section 3.5
        login.next_poll = SteadyClock::now() + login.interval;
        sso.pending().put_back(handle, login);
        return respond(device_wait_answer("slow_down", login.interval));
      }
      sso.pending().remove(handle);
      if (error == "access_denied" || error == "expired_token") {
        return respond(device_error_answer(http::status::unauthorized, error,
                                           error == "access_denied"
                                               ? "the sign-in was refused at the identity provider"
                                               : "the device sign-in expired; start again"));
      }
      return respond(
          sso_problem_answer(idp_unavailable("the identity provider refused the device code")));
    }
    sso.pending().remove(handle);
    sso.finish_with(provider, *answer, std::nullopt, [respond](SsoResult<IssuedSession> issued) {
      if (!issued) return respond(sso_problem_answer(issued.problem()));
      respond(sso_token_answer(*issued));
    });
  });
}

}  // namespace

void add_sso_cli_routes(Router& router, SsoService& sso) {
  router.add(http::verb::post, "/v1/auth/sso/{name}/cli/begin",
             with_provider_body(
                 sso, {"redirect_uri", "code_challenge"},
                 [&sso](OidcProviderClient& provider, const json::object& body, Responder respond) {
                   cli_begin(sso, provider, body, std::move(respond));
                 }));
  router.add(http::verb::post, "/v1/auth/sso/{name}/cli/finish",
             with_provider_body(
                 sso, {"state", "code", "code_verifier"},
                 [&sso](OidcProviderClient& provider, const json::object& body, Responder respond) {
                   cli_finish(sso, provider, body, std::move(respond));
                 }));
  router.add(
      http::verb::post, "/v1/auth/sso/{name}/device/begin",
      with_provider_body(
          sso, {}, [&sso](OidcProviderClient& provider, const json::object&, Responder respond) {
            device_begin(sso, provider, std::move(respond));
          }));
  router.add(http::verb::post, "/v1/auth/sso/{name}/device/poll",
             with_provider_body(
                 sso, {"device_handle"},
                 [&sso](OidcProviderClient& provider, const json::object& body, Responder respond) {
                   device_poll(sso, provider, body, std::move(respond));
                 }));
}

}  // namespace jit::broker
