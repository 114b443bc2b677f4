#include "broker/sso/sso_service.hpp"

#include "broker/auth/derived_keys.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace jit::broker {
namespace {

std::string trim_line_end(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::string client_secret_of(const config::OidcProviderSettings& settings) {
  if (settings.client_secret_env) {
    const char* value = std::getenv(settings.client_secret_env->c_str());
    if (value == nullptr || *value == '\0') {
      throw std::runtime_error("sso provider " + settings.name + ": environment variable " +
                               *settings.client_secret_env + " is not set");
    }
    return value;
  }
  if (settings.client_secret_file) {
    std::ifstream in(*settings.client_secret_file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto secret = trim_line_end(text.str());
    if (!in || secret.empty()) {
      throw std::runtime_error("sso provider " + settings.name + ": cannot read " +
                               settings.client_secret_file->string());
    }
    return secret;
  }
  throw std::runtime_error("sso provider " + settings.name + " has no client secret");
}

}  // namespace

SsoService::SsoService(boost::asio::io_context& io, IdentityService& identity,
                       const config::SsoSettings& settings, OidcProviderClient::Clock clock)
    : sign_in_(identity) {
  for (const auto& provider : settings.providers) {
    providers_.push_back(
        std::make_unique<OidcProviderClient>(io, provider, client_secret_of(provider), clock));
  }
  if (identity.store().backend() == db::Backend::postgresql) {
    pending_.share_through(identity.store(),
                           pending_sso_login_key(identity.mfa_context().data_key));
  }
}

OidcProviderClient* SsoService::provider(std::string_view name) {
  for (const auto& provider : providers_) {
    if (provider->settings().name == name) return provider.get();
  }
  return nullptr;
}

std::string SsoService::authorization_url(const OidcEndpoints& endpoints,
                                          const config::OidcProviderSettings& settings,
                                          std::string_view state, std::string_view nonce,
                                          std::string_view code_challenge,
                                          std::string_view redirect_uri) {
  std::string scope;
  for (const auto& value : settings.scopes) {
    if (!scope.empty()) scope += ' ';
    scope += value;
  }
  std::string url = endpoints.authorization;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "response_type=code&client_id=" + form_encode(settings.client_id);
  url += "&redirect_uri=" + form_encode(redirect_uri);
  url += "&scope=" + form_encode(scope);
  url += "&state=" + form_encode(state);
  url += "&nonce=" + form_encode(nonce);
  url += "&code_challenge=" + form_encode(code_challenge);
  url += "&code_challenge_method=S256";
  return url;
}

void SsoService::redeem_code(OidcProviderClient& provider, const std::string& code,
                             const std::string& redirect_uri, const std::string& code_verifier,
                             const std::string& nonce,
                             std::function<void(SsoResult<IssuedSession>)> done) {
  std::string form = "grant_type=authorization_code&code=" + form_encode(code) +
                     "&redirect_uri=" + form_encode(redirect_uri) +
                     "&code_verifier=" + form_encode(code_verifier);
  provider.token_request(std::move(form), [this, &provider, nonce, done = std::move(done)](
                                              SsoResult<OidcEndpointAnswer> answer) mutable {
    if (!answer) return sign_in_.refuse(provider.settings().name, answer.problem(), done);
    if (answer->status != 200) {
      return sign_in_.refuse(provider.settings().name,
                             {boost::beast::http::status::unauthorized, "sso_code_rejected",
                              "the identity provider refused the code (used twice, expired, or "
                              "not for this login)"},
                             done);
    }
    finish_with(provider, *answer, nonce, std::move(done));
  });
}

void SsoService::finish_with(OidcProviderClient& provider, const OidcEndpointAnswer& answer,
                             std::optional<std::string> nonce,
                             std::function<void(SsoResult<IssuedSession>)> done) {
  const auto* id_token = answer.body.if_contains("id_token");
  if (id_token == nullptr || !id_token->is_string()) {
    return sign_in_.refuse(provider.settings().name,
                           idp_unavailable("the identity provider's answer has no ID token"), done);
  }
  provider.verify(std::string(id_token->as_string()), std::move(nonce), now_seconds(),
                  [this, &provider,
                   done = std::move(done)](SsoResult<approvals::IdTokenClaims> claims) mutable {
                    if (!claims) {
                      return sign_in_.refuse(provider.settings().name, claims.problem(), done);
                    }
                    sign_in_.open_session(provider.settings(), *claims, std::move(done));
                  });
}

}  // namespace jit::broker
