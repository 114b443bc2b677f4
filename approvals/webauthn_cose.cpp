#include "approvals/webauthn_cose.hpp"

#include "approvals/public_key_import.hpp"
#include "approvals/webauthn_cbor.hpp"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <array>

namespace jit::approvals {
namespace {

constexpr std::int64_t kLabelKty = 1;
constexpr std::int64_t kLabelAlg = 3;
constexpr std::int64_t kLabelCrv = -1;
constexpr std::int64_t kLabelX = -2;
constexpr std::int64_t kLabelY = -3;
constexpr std::int64_t kKtyOkp = 1;
constexpr std::int64_t kKtyEc2 = 2;
constexpr std::int64_t kCrvP256 = 1;
constexpr std::int64_t kCrvEd25519 = 6;
constexpr std::size_t kCoordinateBytes = 32;
constexpr std::size_t kEd25519SignatureBytes = 64;
constexpr std::size_t kMaxEs256SignatureBytes = 72;  // DER of two 33-byte integers
constexpr std::size_t kMinEs256SignatureBytes = 8;

std::optional<ca::ByteView> coordinate(const cbor_item_t* map, std::int64_t label) {
  auto value = cbor_bytes_value(cbor_map_find_int(map, label));
  if (!value || value->size() != kCoordinateBytes) return std::nullopt;
  return value;
}

void put_coordinate_header(ca::Bytes& out, std::uint8_t label) {
  out.push_back(std::byte{label});
  out.push_back(std::byte{0x58});  // byte string, one-byte length
  out.push_back(std::byte{kCoordinateBytes});
}

}  // namespace

Result<CosePublicKey> parse_cose_public_key(ca::ByteView cose_key) {
  auto decoded = decode_cbor_exact(cose_key);
  if (!decoded) return decoded.error();
  const cbor_item_t* map = decoded->get();
  if (!cbor_isa_map(map)) return ApprovalsErrc::invalid_input;
  const auto kty = cbor_int_value(cbor_map_find_int(map, kLabelKty));
  const auto alg = cbor_int_value(cbor_map_find_int(map, kLabelAlg));
  if (!kty || !alg) return ApprovalsErrc::invalid_input;
  // Another algorithm (RS256, ES384...) is refused before its own labels are looked at.
  if (*alg != static_cast<int>(CoseAlgorithm::es256) &&
      *alg != static_cast<int>(CoseAlgorithm::eddsa)) {
    return ApprovalsErrc::unsupported;
  }
  const auto crv = cbor_int_value(cbor_map_find_int(map, kLabelCrv));
  if (!crv) return ApprovalsErrc::invalid_input;

  CosePublicKey result;
  if (*alg == static_cast<int>(CoseAlgorithm::es256)) {
    if (*kty != kKtyEc2 || *crv != kCrvP256) return ApprovalsErrc::unsupported;
    const auto x = coordinate(map, kLabelX);
    const auto y = coordinate(map, kLabelY);
    if (!x || !y || cbor_map_size(map) != 5) return ApprovalsErrc::invalid_input;
    auto key = p256_public_key(*x, *y);
    if (!key) return key.error();
    result.alg = CoseAlgorithm::es256;
    result.key = std::move(*key);
  } else {
    if (*kty != kKtyOkp || *crv != kCrvEd25519) return ApprovalsErrc::unsupported;
    const auto x = coordinate(map, kLabelX);
    if (!x || cbor_map_size(map) != 4) return ApprovalsErrc::invalid_input;
    auto key = ed25519_public_key(*x);
    if (!key) return key.error();
    result.alg = CoseAlgorithm::eddsa;
    result.key = std::move(*key);
  }
  return result;
}

Result<ca::Bytes> encode_cose_public_key(const EVP_PKEY* key) {
  if (key == nullptr) return ApprovalsErrc::invalid_input;
  ca::clear_openssl_errors();
  ca::Bytes out;
  if (EVP_PKEY_is_a(key, "ED25519")) {
    std::array<unsigned char, kCoordinateBytes> x{};
    std::size_t length = x.size();
    if (EVP_PKEY_get_raw_public_key(key, x.data(), &length) != 1 || length != x.size()) {
      return ApprovalsErrc::internal_error;
    }
    // {1: 1, 3: -8, -1: 6, -2: x} in canonical order
    out = {std::byte{0xA4}, std::byte{0x01}, std::byte{0x01}, std::byte{0x03},
           std::byte{0x27}, std::byte{0x20}, std::byte{0x06}};
    put_coordinate_header(out, 0x21);
    for (unsigned char c : x) out.push_back(std::byte{c});
    return out;
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    std::array<char, 64> group{};
    std::size_t group_length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                       &group_length) != 1) {
      return ApprovalsErrc::internal_error;
    }
    if (std::string_view(group.data(), group_length) != "prime256v1") {
      return ApprovalsErrc::unsupported;
    }
    BIGNUM* raw_x = nullptr;
    BIGNUM* raw_y = nullptr;
    const int got_x = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &raw_x);
    ca::BignumPtr x(raw_x);
    const int got_y = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &raw_y);
    ca::BignumPtr y(raw_y);
    std::array<unsigned char, 2 * kCoordinateBytes> point{};
    if (got_x != 1 || got_y != 1 ||
        BN_bn2binpad(x.get(), point.data(), static_cast<int>(kCoordinateBytes)) !=
            static_cast<int>(kCoordinateBytes) ||
        BN_bn2binpad(y.get(), point.data() + kCoordinateBytes,
                     static_cast<int>(kCoordinateBytes)) != static_cast<int>(kCoordinateBytes)) {
      return ApprovalsErrc::internal_error;
    }
    // {1: 2, 3: -7, -1: 1, -2: x, -3: y} in canonical order
    out = {std::byte{0xA5}, std::byte{0x01}, std::byte{0x02}, std::byte{0x03},
           std::byte{0x26}, std::byte{0x20}, std::byte{0x01}};
    put_coordinate_header(out, 0x21);
    for (std::size_t i = 0; i < kCoordinateBytes; ++i) out.push_back(std::byte{point[i]});
    put_coordinate_header(out, 0x22);
    for (std::size_t i = 0; i < kCoordinateBytes; ++i) {
      out.push_back(std::byte{point[kCoordinateBytes + i]});
    }
    return out;
  }
  return ApprovalsErrc::unsupported;
}

Result<void> verify_cose_signature(const CosePublicKey& key, ca::ByteView message,
                                   ca::ByteView signature) {
  if (!key.key) return ApprovalsErrc::invalid_input;
  const char* digest = nullptr;
  if (key.alg == CoseAlgorithm::es256) {
    if (signature.size() < kMinEs256SignatureBytes || signature.size() > kMaxEs256SignatureBytes) {
      return ApprovalsErrc::invalid_input;
    }
    digest = "SHA256";
  } else if (signature.size() != kEd25519SignatureBytes) {
    return ApprovalsErrc::invalid_input;
  }
  ca::clear_openssl_errors();
  ca::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr, key.key.get(),
                                      nullptr) != 1) {
    return ApprovalsErrc::internal_error;
  }
  // 1 is a good signature; 0 a wrong one; a negative value a malformed one (bad DER). OpenSSL also
  // refuses non-canonical DER by re-encoding, so one signature has one accepted form.
  const int verified = EVP_DigestVerify(ctx.get(), ca::as_uchars(signature), signature.size(),
                                        ca::as_uchars(message), message.size());
  ca::clear_openssl_errors();
  if (verified != 1) return ApprovalsErrc::unauthenticated;
  return {};
}

}  // namespace jit::approvals
