// Single sign-on as the API uses it (docs/sso.md): the configured providers, the logins under
// way, and the step every flow ends with: an authorization code or a device code redeemed at the
// provider's token endpoint, its ID token verified, and a session opened (SsoSignIn).
#pragma once

#include "broker/sso/oidc_provider_client.hpp"
#include "broker/sso/sso_pending_logins.hpp"
#include "broker/sso/sso_sign_in.hpp"

#include <memory>
#include <string_view>
#include <vector>

namespace jit::broker {

class SsoService {
 public:
  // Reads each provider's client secret from its env variable or file; throws
  // std::runtime_error naming the provider (never the secret) when it cannot.
  // `clock` paces the key set refreshes (tests move it past kJwksRefreshInterval).
  SsoService(boost::asio::io_context& io, IdentityService& identity,
             const config::SsoSettings& settings,
             OidcProviderClient::Clock clock = std::chrono::steady_clock::now);

  OidcProviderClient* provider(std::string_view name);
  const std::vector<std::unique_ptr<OidcProviderClient>>& providers() const { return providers_; }
  SsoPendingLogins& pending() { return pending_; }
  SsoSignIn& sign_in() { return sign_in_; }
  std::int64_t now_seconds() { return sign_in_.identity().now_seconds(); }

  // The provider's authorization endpoint with the code flow's parameters (PKCE S256).
  static std::string authorization_url(const OidcEndpoints& endpoints,
                                       const config::OidcProviderSettings& settings,
                                       std::string_view state, std::string_view nonce,
                                       std::string_view code_challenge,
                                       std::string_view redirect_uri);

  // grant_type=authorization_code at the token endpoint, then verify and open the session.
  void redeem_code(OidcProviderClient& provider, const std::string& code,
                   const std::string& redirect_uri, const std::string& code_verifier,
                   const std::string& nonce, std::function<void(SsoResult<IssuedSession>)> done);

  // A token endpoint answer carrying an ID token: verify it and open the session. `nonce` is
  // absent for the device grant, which has none.
  void finish_with(OidcProviderClient& provider, const OidcEndpointAnswer& answer,
                   std::optional<std::string> nonce,
                   std::function<void(SsoResult<IssuedSession>)> done);

 private:
  std::vector<std::unique_ptr<OidcProviderClient>> providers_;
  SsoPendingLogins pending_;
  SsoSignIn sign_in_;
};

}  // namespace jit::broker
