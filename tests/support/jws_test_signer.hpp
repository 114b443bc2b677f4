// Signing keys and compact JWS tokens for the ID token tests, made with OpenSSL directly (not with
// the code under test): RSA of any size, P-256 and Ed25519 keys, their public JWKs, and tokens
// with any header and payload text, so a test can build each malformed token it needs. Failures
// throw std::runtime_error (test code only).
#pragma once

#include "ca/openssl_handles.hpp"

#include <boost/json/object.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

namespace jit::testing {

std::string base64url_of(std::string_view bytes);

class JwsTestKey {
 public:
  static JwsTestKey rsa(std::string kid, int bits = 2048);
  static JwsTestKey p256(std::string kid);
  static JwsTestKey ed25519(std::string kid);

  [[nodiscard]] const std::string& kid() const { return kid_; }
  [[nodiscard]] const std::string& alg() const { return alg_; }  // RS256, ES256 or EdDSA
  [[nodiscard]] EVP_PKEY* key() const { return key_.get(); }
  // The public JWK with kty, kid, use "sig", alg and the key parameters.
  [[nodiscard]] boost::json::object public_jwk() const;
  // The public key as PEM (SubjectPublicKeyInfo): what an HS256 key-confusion attack uses.
  [[nodiscard]] std::string public_pem() const;
  // The JWS signature of `signing_input` in JOSE form (ES256: r || s), base64url.
  [[nodiscard]] std::string signature_of(std::string_view signing_input) const;
  // header_json and payload_json base64url-encoded, joined and signed with this key.
  [[nodiscard]] std::string sign(std::string_view header_json, std::string_view payload_json) const;
  // {"alg": alg(), "kid": kid(), "typ": "JWT"} and the claims.
  [[nodiscard]] std::string sign_claims(const boost::json::object& claims) const;

 private:
  JwsTestKey(std::string kid, std::string alg, ca::EvpPkeyPtr key);
  std::string kid_;
  std::string alg_;
  ca::EvpPkeyPtr key_;
};

// {"keys": [jwk...]} as JSON text.
std::string jwks_text(std::initializer_list<boost::json::object> jwks);

// HMAC-SHA256 of `signing_input` with `secret`, base64url.
std::string hs256_signature(std::string_view secret, std::string_view signing_input);

}  // namespace jit::testing
