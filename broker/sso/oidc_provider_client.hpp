// The broker's side of talking to one OpenID provider (docs/sso.md, "How sign-in works"): its
// discovery document (issuer compared exactly), its signing keys (cached; fetched again when an
// ID token names a key we do not have, at most once per kJwksRefreshInterval, so a rotation needs
// no restart and a flood of bad tokens cannot turn into a flood of fetches), and calls to its
// token and device authorization endpoints with client_secret_basic. All over the broker's HTTP
// client: verified TLS (the provider's ca_file or the system roots), a deadline and a size cap.
#pragma once

#include "approvals/oidc_id_token.hpp"
#include "broker/client/http_client.hpp"
#include "broker/sso/sso_problem.hpp"
#include "config/broker_config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace jit::broker {

struct OidcEndpoints {
  std::string authorization;
  std::string token;
  std::string jwks_uri;
  std::optional<std::string> device_authorization;
};

// The answer of the token or device authorization endpoint: its status and JSON object body.
struct OidcEndpointAnswer {
  unsigned status = 0;
  boost::json::object body;
};

inline constexpr std::chrono::seconds kJwksRefreshInterval{30};

class OidcProviderClient {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `client_secret`: read by the caller from the env variable or file the settings name.
  OidcProviderClient(boost::asio::io_context& io, config::OidcProviderSettings settings,
                     std::string client_secret, Clock clock = std::chrono::steady_clock::now);

  const config::OidcProviderSettings& settings() const { return settings_; }

  // The discovery document's endpoints, fetched once and kept.
  void endpoints(std::function<void(SsoResult<OidcEndpoints>)> done);

  // Verifies an ID token against the provider's keys; an unknown `kid` fetches the key set again
  // (rate-limited) and retries once. `now` in unix seconds.
  void verify(std::string id_token, std::optional<std::string> nonce, std::int64_t now,
              std::function<void(SsoResult<approvals::IdTokenClaims>)> done);

  // POSTs `form` (application/x-www-form-urlencoded, without the client's credentials, which go
  // in the Authorization header) to the token endpoint, or to the device authorization endpoint.
  void token_request(std::string form, std::function<void(SsoResult<OidcEndpointAnswer>)> done);
  void device_authorization_request(std::string form,
                                    std::function<void(SsoResult<OidcEndpointAnswer>)> done);

 private:
  using KeySet = std::shared_ptr<const approvals::JsonWebKeySet>;
  void post_form(bool device, std::string form,
                 std::function<void(SsoResult<OidcEndpointAnswer>)> done);
  // The cached key set, fetched first if there is none, or again if `refresh` and the last fetch
  // is older than kJwksRefreshInterval.
  void key_set(bool refresh, std::function<void(SsoResult<KeySet>)> done);
  void verify_with(const KeySet& keys, const std::string& id_token,
                   const std::optional<std::string>& nonce, std::int64_t now, bool may_refresh,
                   std::function<void(SsoResult<approvals::IdTokenClaims>)> done);
  // GETs a JSON document; `what` names it in the problem when that fails ("signing keys").
  void get_json(const std::string& url, std::string_view what, std::size_t max_bytes,
                std::function<void(SsoResult<std::string>)> done);

  boost::asio::io_context& io_;
  config::OidcProviderSettings settings_;
  std::string authorization_header_;  // "Basic base64(id:secret)"
  ClientTlsOptions tls_;
  Clock clock_;
  std::mutex mutex_;
  std::optional<OidcEndpoints> endpoints_;
  KeySet keys_;
  std::optional<std::chrono::steady_clock::time_point> keys_fetched_at_;
};

// application/x-www-form-urlencoded encoding of one value (RFC 6749 appendix B).
std::string form_encode(std::string_view value);

}  // namespace jit::broker
