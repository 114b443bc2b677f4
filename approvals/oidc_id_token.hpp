// OpenID Connect ID tokens (docs/sso.md): the provider's JSON Web Key Set, and the checks an ID
// token must pass before the broker believes who it names. Pure: no network, the caller passes
// `now` and the key set it fetched. Signatures by OpenSSL, JSON by Boost.JSON.
#pragma once

#include "approvals/approvals_error.hpp"
#include "ca/openssl_handles.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::approvals {

// The longest ID token verify_id_token reads (compact form): thousands of groups do not fit, and
// the broker says so before it verifies anything (docs/sso.md "When sign-in fails").
inline constexpr std::size_t kMaxIdTokenBytes = 64 * 1024;

// One signing key of the provider, converted to an OpenSSL key from its JWK parameters.
struct JsonWebKey {
  std::string kid;
  std::string kty;                 // "RSA", "EC" (P-256 only) or "OKP" (Ed25519 only)
  std::optional<std::string> alg;  // the key's own `alg`, when the provider states one
  ca::EvpPkeyPtr key;
};

struct JsonWebKeySet {
  std::vector<JsonWebKey> keys;
  [[nodiscard]] const JsonWebKey* find(std::string_view kid) const;
};

// Parses a JWKS document. Keys marked `"use": "enc"`, and keys of types or curves we do not
// verify with, are skipped (a provider publishes more than we need); a malformed key we would use
// (bad base64url, a point off the curve, RSA under 2048 bits) is invalid_input, as is a document
// that is not a JWKS.
[[nodiscard]] Result<JsonWebKeySet> parse_json_web_key_set(std::string_view json);

// The `kid` in a compact JWS header, without verifying anything: the caller refreshes its key set
// (rate-limited) when verification fails with unknown_key for this kid.
[[nodiscard]] Result<std::string> id_token_key_id(std::string_view compact);

struct IdTokenExpectations {
  std::string issuer;                // `iss` must equal this exactly
  std::string client_id;             // `aud` must contain it; `azp` must equal it when present
                                     // or when `aud` has several values
  std::optional<std::string> nonce;  // when set, `nonce` must equal it (compared in constant time)
  std::vector<std::string> algorithms;  // allowed `alg`s among RS256, ES256, EdDSA
  std::int64_t now = 0;                 // unix seconds
  std::int64_t clock_skew_seconds = 60;
};

struct IdTokenClaims {
  std::string issuer;
  std::string subject;  // `sub`
  std::vector<std::string> audience;
  std::int64_t expires_at = 0;
  std::int64_t issued_at = 0;
  std::optional<std::int64_t> auth_time;
  std::vector<std::string> amr;
  std::optional<std::string> acr;
  std::optional<std::string> session_id;  // `sid`
  boost::json::object claims;             // every claim, for the username and groups claims
};

// Verifies a compact JWS ID token. Errors:
//   invalid_input: not three base64url parts, bad JSON, missing or mistyped required claims, a
//                  signature of impossible length (ES256 and EdDSA: 64 bytes; RS256: the modulus);
//   unsupported: `alg` not in `algorithms` (always for "none" and HS*), or not the key's type;
//   unknown_key: no key in `keys` has the header's `kid`;
//   unauthenticated: the signature does not verify, or iss/aud/azp/nonce do not match;
//   expired: `exp` (plus skew) is past, or `nbf`/`iat` (minus skew) is in the future.
[[nodiscard]] Result<IdTokenClaims> verify_id_token(std::string_view compact,
                                                    const JsonWebKeySet& keys,
                                                    const IdTokenExpectations& expected);

}  // namespace jit::approvals
