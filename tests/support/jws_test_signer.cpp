#include "tests/support/jws_test_signer.hpp"

#include "ca/bytes.hpp"

#include <boost/json/serialize.hpp>

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <array>
#include <stdexcept>

namespace jit::testing {
namespace {

void require_ok(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("jws test signer: ") + what);
}

std::string bignum_param(EVP_PKEY* key, const char* name, int pad_to) {
  BIGNUM* raw = nullptr;
  require_ok(EVP_PKEY_get_bn_param(key, name, &raw) == 1, name);
  ca::BignumPtr number(raw);
  const int size = pad_to > 0 ? pad_to : BN_num_bytes(number.get());
  std::string out(static_cast<std::size_t>(size), '\0');
  require_ok(BN_bn2binpad(number.get(), reinterpret_cast<unsigned char*>(out.data()), size) == size,
             "bn2binpad");
  return base64url_of(out);
}

}  // namespace

std::string base64url_of(std::string_view bytes) {
  return ca::base64url_encode_unpadded(ca::as_bytes(bytes));
}

JwsTestKey::JwsTestKey(std::string kid, std::string alg, ca::EvpPkeyPtr key)
    : kid_(std::move(kid)), alg_(std::move(alg)), key_(std::move(key)) {}

JwsTestKey JwsTestKey::rsa(std::string kid, int bits) {
  ca::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
  require_ok(key != nullptr, "RSA keygen");
  return JwsTestKey(std::move(kid), "RS256", std::move(key));
}

JwsTestKey JwsTestKey::p256(std::string kid) {
  ca::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  require_ok(key != nullptr, "P-256 keygen");
  return JwsTestKey(std::move(kid), "ES256", std::move(key));
}

JwsTestKey JwsTestKey::ed25519(std::string kid) {
  ca::EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  require_ok(key != nullptr, "Ed25519 keygen");
  return JwsTestKey(std::move(kid), "EdDSA", std::move(key));
}

boost::json::object JwsTestKey::public_jwk() const {
  boost::json::object jwk{{"kid", kid_}, {"use", "sig"}, {"alg", alg_}};
  if (alg_ == "RS256") {
    jwk["kty"] = "RSA";
    jwk["n"] = bignum_param(key_.get(), OSSL_PKEY_PARAM_RSA_N, 0);
    jwk["e"] = bignum_param(key_.get(), OSSL_PKEY_PARAM_RSA_E, 0);
  } else if (alg_ == "ES256") {
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = bignum_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32);
    jwk["y"] = bignum_param(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32);
  } else {
    std::string raw(32, '\0');
    std::size_t length = raw.size();
    require_ok(EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                           &length) == 1,
               "raw public key");
    jwk["kty"] = "OKP";
    jwk["crv"] = "Ed25519";
    jwk["x"] = base64url_of(raw);
  }
  return jwk;
}

std::string JwsTestKey::public_pem() const {
  ca::BioPtr bio(BIO_new(BIO_s_mem()));
  require_ok(bio && PEM_write_bio_PUBKEY(bio.get(), key_.get()) == 1, "PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string JwsTestKey::signature_of(std::string_view signing_input) const {
  ca::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  const char* digest = alg_ == "EdDSA" ? nullptr : "SHA256";
  require_ok(ctx && EVP_DigestSignInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr, key_.get(),
                                          nullptr) == 1,
             "sign init");
  const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
  std::size_t length = 0;
  require_ok(EVP_DigestSign(ctx.get(), nullptr, &length, input, signing_input.size()) == 1,
             "sign size");
  std::string signature(length, '\0');
  auto* out = reinterpret_cast<unsigned char*>(signature.data());
  require_ok(EVP_DigestSign(ctx.get(), out, &length, input, signing_input.size()) == 1, "sign");
  signature.resize(length);
  if (alg_ != "ES256") return base64url_of(signature);
  // OpenSSL signs ECDSA in DER; JWS wants r || s, 32 bytes each.
  const auto* cursor = reinterpret_cast<const unsigned char*>(signature.data());
  ca::EcdsaSigPtr parsed(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(signature.size())));
  require_ok(parsed != nullptr, "ECDSA DER");
  std::string raw(64, '\0');
  auto* raw_out = reinterpret_cast<unsigned char*>(raw.data());
  require_ok(BN_bn2binpad(ECDSA_SIG_get0_r(parsed.get()), raw_out, 32) == 32 &&
                 BN_bn2binpad(ECDSA_SIG_get0_s(parsed.get()), raw_out + 32, 32) == 32,
             "r||s");
  return base64url_of(raw);
}

std::string JwsTestKey::sign(std::string_view header_json, std::string_view payload_json) const {
  const std::string input = base64url_of(header_json) + "." + base64url_of(payload_json);
  return input + "." + signature_of(input);
}

std::string JwsTestKey::sign_claims(const boost::json::object& claims) const {
  const boost::json::object header{{"alg", alg_}, {"kid", kid_}, {"typ", "JWT"}};
  return sign(boost::json::serialize(header), boost::json::serialize(claims));
}

std::string jwks_text(std::initializer_list<boost::json::object> jwks) {
  boost::json::array keys;
  for (const auto& jwk : jwks) keys.push_back(jwk);
  return boost::json::serialize(boost::json::object{{"keys", std::move(keys)}});
}

std::string hs256_signature(std::string_view secret, std::string_view signing_input) {
  std::array<unsigned char, 32> mac{};
  std::size_t length = 0;
  require_ok(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size(), mac.data(), mac.size(), &length) != nullptr &&
                 length == mac.size(),
             "HMAC");
  return base64url_of(std::string_view(reinterpret_cast<const char*>(mac.data()), length));
}

}  // namespace jit::testing
