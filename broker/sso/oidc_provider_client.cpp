#include "broker/sso/oidc_provider_client.hpp"

#include "ca/bytes.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/json/parse.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;

constexpr std::size_t kDiscoveryMaxBytes = 256 * 1024;
constexpr std::size_t kJwksMaxBytes = 256 * 1024;
constexpr std::size_t kTokenAnswerMaxBytes = 256 * 1024;
constexpr std::chrono::milliseconds kIdpTimeout{10'000};

std::optional<std::string> https_member(const json::object& document, std::string_view name) {
  const auto* value = document.if_contains(name);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  std::string text(value->as_string());
  if (!text.starts_with("https://")) return std::nullopt;
  return text;
}

SsoResult<OidcEndpoints> endpoints_from(const std::string& body, const std::string& issuer) {
  boost::system::error_code ec;
  const auto value = json::parse(body, ec);
  if (ec || !value.is_object())
    return idp_unavailable("the identity provider's discovery document is not JSON");
  const auto& document = value.as_object();
  const auto* claimed = document.if_contains("issuer");
  // OpenID Connect Discovery 1.0 section 4.3: the issuer must be exactly the one we asked.
  if (claimed == nullptr || !claimed->is_string() || claimed->as_string() != issuer) {
    return idp_unavailable("the identity provider's discovery document names another issuer than " +
                           issuer);
  }
  OidcEndpoints endpoints;
  auto authorization = https_member(document, "authorization_endpoint");
  auto token = https_member(document, "token_endpoint");
  auto jwks = https_member(document, "jwks_uri");
  if (!authorization || !token || !jwks) {
    return idp_unavailable("the identity provider's discovery document lacks an https endpoint");
  }
  endpoints.authorization = std::move(*authorization);
  endpoints.token = std::move(*token);
  endpoints.jwks_uri = std::move(*jwks);
  endpoints.device_authorization = https_member(document, "device_authorization_endpoint");
  return endpoints;
}

// Why a call to the provider got no answer, naming what was asked for (one line, no URL).
SsoProblem fetch_problem(const std::string& what, boost::system::error_code ec,
                         std::size_t max_bytes) {
  if (ec == boost::beast::http::error::body_limit) {
    return idp_unavailable("the identity provider's " + what + " sent more than " +
                           std::to_string(max_bytes / 1024) + " KiB");
  }
  return idp_unavailable("the identity provider could not be reached for its " + what);
}

}  // namespace

std::string form_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
  }
  return out;
}

OidcProviderClient::OidcProviderClient(boost::asio::io_context& io,
                                       config::OidcProviderSettings settings,
                                       std::string client_secret, Clock clock)
    : io_(io), settings_(std::move(settings)), clock_(std::move(clock)) {
  // RFC 6749 section 2.3.1: id and secret are form-encoded before they are joined.
  const std::string credentials =
      form_encode(settings_.client_id) + ":" + form_encode(client_secret);
  authorization_header_ = "Basic " + ca::base64_encode(ca::as_bytes(credentials));
  tls_.ca_file = settings_.ca_file;
}

void OidcProviderClient::get_json(const std::string& url, std::string_view what,
                                  std::size_t max_bytes,
                                  std::function<void(SsoResult<std::string>)> done) {
  auto parsed = parse_url(url);
  if (!parsed || !parsed->tls) {
    return done(idp_unavailable("the identity provider's " + std::string(what) + " URL is bad"));
  }
  ClientRequest request;
  request.url = std::move(*parsed);
  request.timeout = kIdpTimeout;
  request.max_response_bytes = max_bytes;
  request.headers.emplace_back("Accept", "application/json");
  async_fetch(
      io_, tls_, std::move(request),
      [what = std::string(what), max_bytes, done = std::move(done)](boost::system::error_code ec,
                                                                    ClientResponse response) {
        if (ec) return done(fetch_problem(what, ec, max_bytes));
        if (response.status != 200) {
          return done(idp_unavailable("the identity provider answered HTTP " +
                                      std::to_string(response.status) + " for its " + what));
        }
        done(std::move(response.body));
      });
}

void OidcProviderClient::endpoints(std::function<void(SsoResult<OidcEndpoints>)> done) {
  std::optional<OidcEndpoints> known;
  {
    const std::lock_guard lock(mutex_);
    known = endpoints_;
  }
  if (known) return done(std::move(*known));  // outside the lock: `done` may call us again
  std::string issuer = settings_.issuer;
  const std::string url = (issuer.ends_with("/") ? issuer.substr(0, issuer.size() - 1) : issuer) +
                          "/.well-known/openid-configuration";
  get_json(url, "discovery document", kDiscoveryMaxBytes,
           [this, issuer, done = std::move(done)](SsoResult<std::string> body) {
             if (!body) return done(body.problem());
             auto found = endpoints_from(*body, issuer);
             if (found) {
               const std::lock_guard lock(mutex_);
               endpoints_ = *found;
             }
             done(std::move(found));
           });
}

void OidcProviderClient::key_set(bool refresh, std::function<void(SsoResult<KeySet>)> done) {
  // Decided under the lock, answered outside it: `done` may call key_set again.
  KeySet cached;
  bool fetch = false;
  {
    const std::lock_guard lock(mutex_);
    const bool recent = keys_fetched_at_ && clock_() - *keys_fetched_at_ < kJwksRefreshInterval;
    cached = keys_;
    // Counted from the attempt: a provider that is down or answers garbage is asked again only
    // after the interval too.
    fetch = keys_ ? refresh && !recent : !recent;
    if (fetch) keys_fetched_at_ = clock_();
  }
  if (!fetch) {
    if (cached) return done(cached);
    return done(idp_unavailable(
        "the identity provider's signing keys are unavailable; try again in a minute"));
  }
  endpoints([this, done = std::move(done)](SsoResult<OidcEndpoints> found) mutable {
    if (!found) return done(found.problem());
    get_json(found->jwks_uri, "signing keys", kJwksMaxBytes,
             [this, done = std::move(done)](SsoResult<std::string> body) {
               if (!body) return done(body.problem());
               auto parsed = approvals::parse_json_web_key_set(*body);
               if (!parsed) {
                 return done(idp_unavailable(
                     "the identity provider's signing keys are not a valid JSON Web Key Set"));
               }
               auto keys = std::make_shared<const approvals::JsonWebKeySet>(std::move(*parsed));
               {
                 const std::lock_guard lock(mutex_);
                 keys_ = keys;
               }
               done(KeySet(keys));
             });
  });
}

void OidcProviderClient::verify(std::string id_token, std::optional<std::string> nonce,
                                std::int64_t now,
                                std::function<void(SsoResult<approvals::IdTokenClaims>)> done) {
  key_set(false, [this, id_token = std::move(id_token), nonce = std::move(nonce), now,
                  done = std::move(done)](SsoResult<KeySet> keys) mutable {
    if (!keys) return done(keys.problem());
    verify_with(*keys, id_token, nonce, now, true, std::move(done));
  });
}

void OidcProviderClient::verify_with(
    const KeySet& keys, const std::string& id_token, const std::optional<std::string>& nonce,
    std::int64_t now, bool may_refresh,
    std::function<void(SsoResult<approvals::IdTokenClaims>)> done) {
  if (id_token.size() > approvals::kMaxIdTokenBytes) {
    // Refused unread (and without a key set fetch); the usual cause is a huge groups claim.
    return done(SsoProblem{boost::beast::http::status::unauthorized, "id_token_too_large",
                           "the identity provider's ID token is larger than " +
                               std::to_string(approvals::kMaxIdTokenBytes / 1024) +
                               " KiB; map fewer groups into it"});
  }
  approvals::IdTokenExpectations expected;
  expected.issuer = settings_.issuer;
  expected.client_id = settings_.client_id;
  expected.nonce = nonce;
  expected.algorithms = settings_.algorithms;
  expected.now = now;
  expected.clock_skew_seconds = settings_.clock_skew.count();
  auto claims = approvals::verify_id_token(id_token, *keys, expected);
  if (claims) return done(std::move(*claims));
  if (claims.error() == approvals::ApprovalsErrc::unknown_key && may_refresh) {
    // A key we have not seen: the provider may have rotated. Fetch again (rate-limited), retry.
    return key_set(true, [this, id_token, nonce, now,
                          done = std::move(done)](SsoResult<KeySet> fresh) mutable {
      if (!fresh) return done(fresh.problem());
      verify_with(*fresh, id_token, nonce, now, false, std::move(done));
    });
  }
  const bool expired = claims.error() == approvals::ApprovalsErrc::expired;
  done(SsoProblem{boost::beast::http::status::unauthorized,
                  expired ? "id_token_expired" : "id_token_invalid",
                  expired ? "the identity provider's ID token is expired or not yet valid"
                          : "the identity provider's ID token did not verify"});
}

void OidcProviderClient::token_request(std::string form,
                                       std::function<void(SsoResult<OidcEndpointAnswer>)> done) {
  post_form(false, std::move(form), std::move(done));
}

void OidcProviderClient::device_authorization_request(
    std::string form, std::function<void(SsoResult<OidcEndpointAnswer>)> done) {
  post_form(true, std::move(form), std::move(done));
}

void OidcProviderClient::post_form(bool device, std::string form,
                                   std::function<void(SsoResult<OidcEndpointAnswer>)> done) {
  endpoints([this, device, form = std::move(form),
             done = std::move(done)](SsoResult<OidcEndpoints> found) mutable {
    if (!found) return done(found.problem());
    if (device && !found->device_authorization) {
      return done(SsoProblem{boost::beast::http::status::not_found, "unsupported",
                             "the identity provider offers no device authorization"});
    }
    auto url = parse_url(device ? *found->device_authorization : found->token);
    if (!url) return done(idp_unavailable("the identity provider's endpoint URL is bad"));
    ClientRequest request;
    request.method = boost::beast::http::verb::post;
    request.url = std::move(*url);
    request.body = std::move(form);
    request.content_type = "application/x-www-form-urlencoded";
    request.headers.emplace_back("Authorization", authorization_header_);
    request.headers.emplace_back("Accept", "application/json");
    request.timeout = kIdpTimeout;
    request.max_response_bytes = kTokenAnswerMaxBytes;
    async_fetch(
        io_, tls_, std::move(request),
        [device, done = std::move(done)](boost::system::error_code ec, ClientResponse response) {
          if (ec) {
            return done(fetch_problem(device ? "device authorization endpoint" : "token endpoint",
                                      ec, kTokenAnswerMaxBytes));
          }
          boost::system::error_code parse_ec;
          auto value = json::parse(response.body, parse_ec);
          if (parse_ec || !value.is_object()) {
            return done(idp_unavailable("the identity provider answered HTTP " +
                                        std::to_string(response.status) +
                                        " without a JSON object"));
          }
          done(OidcEndpointAnswer{response.status, std::move(value.as_object())});
        });
  });
}

}  // namespace jit::broker
