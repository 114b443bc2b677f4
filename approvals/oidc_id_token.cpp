// ID token checks (docs/sso.md "ID token checks"; OpenID Connect Core 1.0 section 3.1.3.7): the
// signature is checked before any claim is read, with a key of the type the allowed `alg` names.
#include "approvals/oidc_id_token.hpp"
#include "approvals/strict_json.hpp"
#include "ca/bytes.hpp"

#include <algorithm>
#include <array>

namespace jit::approvals {
namespace {

constexpr std::size_t kMaxHeaderBytes = 4 * 1024;
constexpr std::size_t kMaxSubjectLength = 255;       // OpenID Connect Core 1.0 section 2
constexpr std::size_t kMaxClaimListLength = 64;      // aud and amr entries
constexpr std::size_t kJwsEs256SignatureBytes = 64;  // r || s, 32 bytes each (RFC 7518 3.4)
constexpr std::size_t kJwsEd25519SignatureBytes = 64;
constexpr std::int64_t kMaxDate = std::int64_t{1} << 40;  // year 36812: far beyond any real date

struct CompactJws {
  std::string_view header;   // base64url, as signed
  std::string_view payload;  // base64url, as signed
  std::string_view signature;
};

Result<CompactJws> split_compact(std::string_view compact) {
  if (compact.size() > kMaxIdTokenBytes) return ApprovalsErrc::invalid_input;
  const auto first = compact.find('.');
  if (first == std::string_view::npos) return ApprovalsErrc::invalid_input;
  const auto second = compact.find('.', first + 1);
  if (second == std::string_view::npos || compact.find('.', second + 1) != std::string_view::npos) {
    return ApprovalsErrc::invalid_input;
  }
  CompactJws jws{compact.substr(0, first), compact.substr(first + 1, second - first - 1),
                 compact.substr(second + 1)};
  if (jws.header.empty() || jws.payload.empty() || jws.signature.empty() ||
      jws.header.size() > kMaxHeaderBytes) {
    return ApprovalsErrc::invalid_input;
  }
  return jws;
}

Result<boost::json::object> decode_json_part(std::string_view part, std::size_t max_depth) {
  ca::Bytes bytes;
  if (!ca::base64url_decode_unpadded(part, bytes)) return ApprovalsErrc::invalid_input;
  auto value = parse_strict_json(ca::as_chars(bytes), JsonLimits{kMaxIdTokenBytes, max_depth});
  if (!value) return value.error();
  if (!value->is_object()) return ApprovalsErrc::invalid_input;
  return std::move(value->get_object());
}

struct JwsHeader {
  std::string alg;
  std::string kid;
};

Result<JwsHeader> parse_header(std::string_view part) {
  auto header = decode_json_part(part, 4);
  if (!header) return header.error();
  const auto* alg = header->if_contains("alg");
  const auto* kid = header->if_contains("kid");
  if (alg == nullptr || !alg->is_string() || kid == nullptr || !kid->is_string()) {
    return ApprovalsErrc::invalid_input;
  }
  // RFC 7515 4.1.11: a `crit` extension we do not understand makes the token invalid; we
  // understand none.
  if (header->contains("crit")) return ApprovalsErrc::unsupported;
  return JwsHeader{std::string(alg->get_string()), std::string(kid->get_string())};
}

// The JWK `kty` an allowed `alg` needs; nullopt for every other alg (none, HS*, PS*, ES384...).
std::optional<std::string_view> key_type_for(std::string_view alg) {
  if (alg == "RS256") return "RSA";
  if (alg == "ES256") return "EC";
  if (alg == "EdDSA") return "OKP";
  return std::nullopt;
}

// JWS ES256 signatures are r || s; OpenSSL verifies the DER SEQUENCE of the two integers.
Result<ca::Bytes> es256_signature_der(const ca::Bytes& raw) {
  if (raw.size() != kJwsEs256SignatureBytes) return ApprovalsErrc::invalid_input;
  const int half = static_cast<int>(kJwsEs256SignatureBytes / 2);
  ca::BignumPtr r(BN_bin2bn(ca::as_uchars(ca::ByteView(raw)), half, nullptr));
  ca::BignumPtr s(BN_bin2bn(ca::as_uchars(ca::ByteView(raw)) + half, half, nullptr));
  ca::EcdsaSigPtr signature(ECDSA_SIG_new());
  if (!r || !s || !signature || ECDSA_SIG_set0(signature.get(), r.get(), s.get()) != 1) {
    return ApprovalsErrc::internal_error;
  }
  // ECDSA_SIG_set0 took ownership of both numbers.
  (void)r.release();
  (void)s.release();
  const int length = i2d_ECDSA_SIG(signature.get(), nullptr);
  if (length <= 0) return ApprovalsErrc::internal_error;
  ca::Bytes der(static_cast<std::size_t>(length));
  unsigned char* cursor = ca::as_uchars(std::span<std::byte>(der));
  if (i2d_ECDSA_SIG(signature.get(), &cursor) != length) return ApprovalsErrc::internal_error;
  return der;
}

Result<void> check_signature(const CompactJws& jws, const JsonWebKey& key, std::string_view alg) {
  ca::Bytes signature;
  if (!ca::base64url_decode_unpadded(jws.signature, signature)) {
    return ApprovalsErrc::invalid_input;
  }
  const char* digest = "SHA256";
  if (alg == "ES256") {
    auto der = es256_signature_der(signature);
    if (!der) return der.error();
    signature = std::move(*der);
  } else if (alg == "EdDSA") {
    if (signature.size() != kJwsEd25519SignatureBytes) return ApprovalsErrc::invalid_input;
    digest = nullptr;  // Ed25519 hashes internally
  } else if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.key.get()))) {
    return ApprovalsErrc::invalid_input;  // RSA signatures are exactly the modulus size
  }
  const std::string_view signed_part(jws.header.data(), jws.header.size() + 1 + jws.payload.size());
  ca::clear_openssl_errors();
  ca::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  // RSA keys default to PKCS#1 v1.5 padding, which is what RS256 is.
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr, key.key.get(),
                                      nullptr) != 1) {
    ca::clear_openssl_errors();
    return ApprovalsErrc::internal_error;
  }
  const int verified =
      EVP_DigestVerify(ctx.get(), ca::as_uchars(ca::ByteView(signature)), signature.size(),
                       ca::as_uchars(ca::as_bytes(signed_part)), signed_part.size());
  ca::clear_openssl_errors();
  if (verified != 1) return ApprovalsErrc::unauthenticated;
  return {};
}

Result<std::string> required_string(const boost::json::object& claims, std::string_view name) {
  const auto* value = claims.if_contains(name);
  if (value == nullptr || !value->is_string() || value->get_string().empty()) {
    return ApprovalsErrc::invalid_input;
  }
  return std::string(value->get_string());
}

// A NumericDate: a JSON integer from 0 to kMaxDate (a fraction or a negative date is refused).
Result<std::optional<std::int64_t>> numeric_date(const boost::json::object& claims,
                                                 std::string_view name) {
  const auto* value = claims.if_contains(name);
  if (value == nullptr) return std::optional<std::int64_t>{};
  if (!value->is_int64() || value->get_int64() < 0 || value->get_int64() > kMaxDate) {
    return ApprovalsErrc::invalid_input;
  }
  return std::optional<std::int64_t>{value->get_int64()};
}

// A string or an array of strings (`aud`), or an array of strings (`amr`).
Result<std::vector<std::string>> string_list(const boost::json::value& value, bool allow_single) {
  std::vector<std::string> out;
  if (allow_single && value.is_string()) {
    out.emplace_back(value.get_string());
    return out;
  }
  if (!value.is_array() || value.get_array().size() > kMaxClaimListLength) {
    return ApprovalsErrc::invalid_input;
  }
  for (const auto& item : value.get_array()) {
    if (!item.is_string()) return ApprovalsErrc::invalid_input;
    out.emplace_back(item.get_string());
  }
  return out;
}

Result<void> check_audience(const IdTokenClaims& token, const std::string& client_id) {
  if (token.audience.empty() ||
      std::find(token.audience.begin(), token.audience.end(), client_id) == token.audience.end()) {
    return ApprovalsErrc::unauthenticated;
  }
  const auto* azp = token.claims.if_contains("azp");
  if (azp != nullptr && !azp->is_string()) return ApprovalsErrc::invalid_input;
  // With several audiences, `azp` says which party the token was issued to: it must be us.
  if ((azp == nullptr && token.audience.size() > 1) ||
      (azp != nullptr && azp->get_string() != client_id)) {
    return ApprovalsErrc::unauthenticated;
  }
  return {};
}

Result<void> check_times(const boost::json::object& claims, const IdTokenClaims& token,
                         const IdTokenExpectations& expected) {
  auto not_before = numeric_date(claims, "nbf");
  if (!not_before) return not_before.error();
  // Dates are bounded by numeric_date and the skew here, so these sums cannot overflow.
  const std::int64_t skew = std::clamp<std::int64_t>(expected.clock_skew_seconds, 0, kMaxDate);
  const std::int64_t now = expected.now;
  if (now >= token.expires_at + skew) return ApprovalsErrc::expired;
  if (token.issued_at - skew > now) return ApprovalsErrc::expired;
  if (*not_before && **not_before - skew > now) return ApprovalsErrc::expired;
  return {};
}

Result<void> check_nonce(const boost::json::object& claims, const std::string& nonce) {
  const auto* value = claims.if_contains("nonce");
  if (value == nullptr) return ApprovalsErrc::unauthenticated;
  if (!value->is_string()) return ApprovalsErrc::invalid_input;
  const auto& got = value->get_string();
  if (!ca::constant_time_equal(ca::as_bytes(std::string_view(got.data(), got.size())),
                               ca::as_bytes(nonce))) {
    return ApprovalsErrc::unauthenticated;
  }
  return {};
}

Result<IdTokenClaims> read_claims(boost::json::object claims) {
  IdTokenClaims token;
  auto issuer = required_string(claims, "iss");
  auto subject = required_string(claims, "sub");
  auto expires_at = numeric_date(claims, "exp");
  auto issued_at = numeric_date(claims, "iat");
  auto auth_time = numeric_date(claims, "auth_time");
  const auto* aud = claims.if_contains("aud");
  if (!issuer || !subject || subject->size() > kMaxSubjectLength || !expires_at || !*expires_at ||
      !issued_at || !*issued_at || !auth_time || aud == nullptr) {
    return ApprovalsErrc::invalid_input;
  }
  auto audience = string_list(*aud, true);
  if (!audience) return audience.error();
  if (const auto* amr = claims.if_contains("amr")) {
    auto values = string_list(*amr, false);
    if (!values) return values.error();
    token.amr = std::move(*values);
  }
  for (const auto& [name, target] :
       {std::pair{"acr", &token.acr}, std::pair{"sid", &token.session_id}}) {
    if (const auto* value = claims.if_contains(name)) {
      if (!value->is_string()) return ApprovalsErrc::invalid_input;
      *target = std::string(value->get_string());
    }
  }
  token.issuer = std::move(*issuer);
  token.subject = std::move(*subject);
  token.audience = std::move(*audience);
  token.expires_at = **expires_at;
  token.issued_at = **issued_at;
  token.auth_time = *auth_time;
  token.claims = std::move(claims);
  return token;
}

}  // namespace

Result<std::string> id_token_key_id(std::string_view compact) {
  auto jws = split_compact(compact);
  if (!jws) return jws.error();
  auto header = parse_header(jws->header);
  if (!header) return header.error();
  return std::move(header->kid);
}

Result<IdTokenClaims> verify_id_token(std::string_view compact, const JsonWebKeySet& keys,
                                      const IdTokenExpectations& expected) {
  auto jws = split_compact(compact);
  if (!jws) return jws.error();
  auto header = parse_header(jws->header);
  if (!header) return header.error();
  const auto key_type = key_type_for(header->alg);
  if (!key_type || std::find(expected.algorithms.begin(), expected.algorithms.end(), header->alg) ==
                       expected.algorithms.end()) {
    return ApprovalsErrc::unsupported;
  }
  const JsonWebKey* key = keys.find(header->kid);
  if (key == nullptr) return ApprovalsErrc::unknown_key;
  // The key decides the algorithm as much as the token does: an RS256 token is never checked
  // with an EC key, and a key published for one alg verifies no other.
  if (key->kty != *key_type || (key->alg && *key->alg != header->alg) || !key->key) {
    return ApprovalsErrc::unsupported;
  }
  if (auto signed_ok = check_signature(*jws, *key, header->alg); !signed_ok) {
    return signed_ok.error();
  }

  auto payload = decode_json_part(jws->payload, 16);
  if (!payload) return payload.error();
  auto token = read_claims(std::move(*payload));
  if (!token) return token.error();
  if (token->issuer != expected.issuer) return ApprovalsErrc::unauthenticated;
  if (auto audience_ok = check_audience(*token, expected.client_id); !audience_ok) {
    return audience_ok.error();
  }
  if (auto times_ok = check_times(token->claims, *token, expected); !times_ok) {
    return times_ok.error();
  }
  if (expected.nonce) {
    if (auto nonce_ok = check_nonce(token->claims, *expected.nonce); !nonce_ok) {
      return nonce_ok.error();
    }
  }
  return token;
}

}  // namespace jit::approvals
