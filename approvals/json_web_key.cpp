// JSON Web Key Sets (RFC 7517) of OpenID providers, converted to OpenSSL keys through OpenSSL 3
// parameters (docs/sso.md "ID token checks"). Only the keys we verify ID tokens with become
// JsonWebKeys: RSA of 2048 bits or more, EC on P-256, OKP on Ed25519.
#include "approvals/oidc_id_token.hpp"
#include "approvals/public_key_import.hpp"
#include "approvals/strict_json.hpp"
#include "ca/bytes.hpp"

#include <openssl/core_names.h>

#include <set>

namespace jit::approvals {
namespace {

constexpr std::size_t kMaxKeySetBytes = 256 * 1024;
constexpr std::size_t kMaxKeysInSet = 64;
constexpr std::size_t kMaxKidLength = 256;
constexpr int kMinRsaModulusBits = 2048;
constexpr int kMaxRsaModulusBits = 8192;
constexpr std::size_t kMaxRsaExponentBytes = 8;

// A member that must be a string when present; nullopt when absent, invalid_input when mistyped.
Result<std::optional<std::string>> jwk_optional_string(const boost::json::object& object,
                                                       std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr) return std::optional<std::string>{};
  if (!value->is_string()) return ApprovalsErrc::invalid_input;
  return std::optional<std::string>{std::string(value->get_string())};
}

// A required base64url member, decoded; `exact_size` 0 means any non-empty size.
Result<ca::Bytes> jwk_bytes(const boost::json::object& object, std::string_view name,
                            std::size_t exact_size) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return ApprovalsErrc::invalid_input;
  const auto& text = value->get_string();
  ca::Bytes out;
  if (!ca::base64url_decode_unpadded(std::string_view(text.data(), text.size()), out) ||
      out.empty() || (exact_size != 0 && out.size() != exact_size)) {
    return ApprovalsErrc::invalid_input;
  }
  return out;
}

Result<ca::EvpPkeyPtr> jwk_rsa_key(const boost::json::object& jwk) {
  auto n = jwk_bytes(jwk, "n", 0);
  auto e = jwk_bytes(jwk, "e", 0);
  if (!n || !e || e->size() > kMaxRsaExponentBytes) return ApprovalsErrc::invalid_input;
  ca::clear_openssl_errors();
  ca::BignumPtr modulus(
      BN_bin2bn(ca::as_uchars(ca::ByteView(*n)), static_cast<int>(n->size()), nullptr));
  ca::BignumPtr exponent(
      BN_bin2bn(ca::as_uchars(ca::ByteView(*e)), static_cast<int>(e->size()), nullptr));
  if (!modulus || !exponent) return ApprovalsErrc::internal_error;
  const int bits = BN_num_bits(modulus.get());
  // A short modulus is forgeable; a huge one makes every verification slow (denial of service).
  if (bits < kMinRsaModulusBits || bits > kMaxRsaModulusBits) return ApprovalsErrc::invalid_input;
  if (!BN_is_odd(exponent.get()) || BN_is_one(exponent.get())) return ApprovalsErrc::invalid_input;
  ca::OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
    return ApprovalsErrc::internal_error;
  }
  return public_key_from_params("RSA", builder.get());
}

Result<ca::EvpPkeyPtr> jwk_p256_key(const boost::json::object& jwk) {
  auto x = jwk_bytes(jwk, "x", kP256CoordinateBytes);
  auto y = jwk_bytes(jwk, "y", kP256CoordinateBytes);
  if (!x || !y) return ApprovalsErrc::invalid_input;
  return p256_public_key(*x, *y);
}

Result<ca::EvpPkeyPtr> jwk_ed25519_key(const boost::json::object& jwk) {
  auto x = jwk_bytes(jwk, "x", kEd25519PublicKeyBytes);
  if (!x) return ApprovalsErrc::invalid_input;
  return ed25519_public_key(*x);
}

// The JWS `alg` a key of this type verifies, for keys we use; nullopt for keys we skip.
std::optional<std::string_view> jwk_algorithm(std::string_view kty,
                                              const std::optional<std::string>& crv) {
  if (kty == "RSA") return "RS256";
  if (kty == "EC" && crv == "P-256") return "ES256";
  if (kty == "OKP" && crv == "Ed25519") return "EdDSA";
  return std::nullopt;
}

// One key of the set: nullopt when it is skipped (encryption key, other type, curve or alg).
Result<std::optional<JsonWebKey>> parse_one_key(const boost::json::value& value) {
  if (!value.is_object()) return ApprovalsErrc::invalid_input;
  const auto& jwk = value.get_object();
  auto kty = jwk_optional_string(jwk, "kty");
  auto kid = jwk_optional_string(jwk, "kid");
  auto use = jwk_optional_string(jwk, "use");
  auto alg = jwk_optional_string(jwk, "alg");
  auto crv = jwk_optional_string(jwk, "crv");
  if (!kty || !kid || !use || !alg || !crv || !*kty) return ApprovalsErrc::invalid_input;
  if (*use && **use != "sig") return std::optional<JsonWebKey>{};
  const auto algorithm = jwk_algorithm(**kty, *crv);
  // A key stated for another algorithm (RS512, ES384...) never verifies our tokens.
  if (!algorithm || (*alg && **alg != *algorithm)) return std::optional<JsonWebKey>{};
  if (*kid && (*kid)->size() > kMaxKidLength) return ApprovalsErrc::invalid_input;

  Result<ca::EvpPkeyPtr> key = ApprovalsErrc::internal_error;
  if (*algorithm == "RS256") {
    key = jwk_rsa_key(jwk);
  } else if (*algorithm == "ES256") {
    key = jwk_p256_key(jwk);
  } else {
    key = jwk_ed25519_key(jwk);
  }
  if (!key) return key.error();
  JsonWebKey out;
  out.kid = kid->value_or("");
  out.kty = **kty;
  out.alg = *alg;
  out.key = std::move(*key);
  return std::optional<JsonWebKey>{std::move(out)};
}

}  // namespace

const JsonWebKey* JsonWebKeySet::find(std::string_view kid) const {
  for (const JsonWebKey& key : keys) {
    if (key.kid == kid) return &key;
  }
  return nullptr;
}

Result<JsonWebKeySet> parse_json_web_key_set(std::string_view json) {
  auto document = parse_strict_json(json, JsonLimits{kMaxKeySetBytes, 8});
  if (!document) return document.error();
  if (!document->is_object()) return ApprovalsErrc::invalid_input;
  const auto* keys = document->get_object().if_contains("keys");
  if (keys == nullptr || !keys->is_array() || keys->get_array().size() > kMaxKeysInSet) {
    return ApprovalsErrc::invalid_input;
  }
  JsonWebKeySet set;
  std::set<std::string> kids;
  for (const boost::json::value& value : keys->get_array()) {
    auto key = parse_one_key(value);
    if (!key) return key.error();
    if (!*key) continue;
    // Two usable keys under one kid would make the choice of key depend on order.
    if (!kids.insert((*key)->kid).second) return ApprovalsErrc::invalid_input;
    set.keys.push_back(std::move(**key));
  }
  return set;
}

}  // namespace jit::approvals
