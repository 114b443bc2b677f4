#include "ca/ssh_public_key.hpp"

#include "ca/ssh_wire.hpp"

#include <openssl/core_names.h>

#include <array>

namespace jit::ca {
namespace {

constexpr std::size_t kMaxTypeName = 64;
constexpr std::size_t kMaxRsaExponentBytes = 64;
// Large enough to read an oversized modulus and refuse it as unsupported rather than malformed.
constexpr std::size_t kMaxRsaModulusReadBytes = 4096;

struct TypeNames {
  SshKeyType type;
  std::string_view key;
  std::string_view certificate;
};

constexpr std::array<TypeNames, 5> kTypeNames{{
    {SshKeyType::ed25519, "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com"},
    {SshKeyType::ecdsa_p256, "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com"},
    {SshKeyType::ecdsa_p384, "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com"},
    {SshKeyType::ecdsa_p521, "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com"},
    {SshKeyType::rsa, "ssh-rsa", "ssh-rsa-cert-v01@openssh.com"},
}};

constexpr SshEcCurve kP256{"nistp256", "P-256", "SHA256", 32, 256};
constexpr SshEcCurve kP384{"nistp384", "P-384", "SHA384", 48, 384};
constexpr SshEcCurve kP521{"nistp521", "P-521", "SHA512", 66, 521};

int magnitude_bits(ByteView magnitude) noexcept {
  if (magnitude.empty()) return 0;
  int bits = static_cast<int>(magnitude.size() - 1) * 8;
  for (unsigned top = std::to_integer<unsigned>(magnitude[0]); top != 0; top >>= 1) ++bits;
  return bits;
}

bool is_odd(ByteView magnitude) noexcept {
  return !magnitude.empty() && (std::to_integer<unsigned>(magnitude.back()) & 1U) != 0;
}

// Builds an OpenSSL key from an uncompressed point; OpenSSL refuses a point that is not on the
// curve.
Result<EvpPkeyPtr> ec_key_from_point(const SshEcCurve& curve, ByteView point) {
  clear_openssl_errors();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return CaErrc::crypto_failure;
  std::array<OSSL_PARAM, 3> params{
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(curve.group),
                                       0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                        const_cast<unsigned char*>(as_uchars(point)), point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.data()) != 1) {
    clear_openssl_errors();
    return CaErrc::malformed;
  }
  EvpPkeyPtr key(raw);
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check) return CaErrc::crypto_failure;
  if (EVP_PKEY_public_check(check.get()) != 1) {
    clear_openssl_errors();
    return CaErrc::malformed;
  }
  return key;
}

Result<EvpPkeyPtr> rsa_key_from_parts(ByteView e, ByteView n) {
  clear_openssl_errors();
  BignumPtr bn_e(BN_bin2bn(as_uchars(e), static_cast<int>(e.size()), nullptr));
  BignumPtr bn_n(BN_bin2bn(as_uchars(n), static_cast<int>(n.size()), nullptr));
  OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!bn_e || !bn_n || !builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return CaErrc::crypto_failure;
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return CaErrc::crypto_failure;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return CaErrc::crypto_failure;
  return EvpPkeyPtr(raw);
}

Bytes bignum_magnitude(const BIGNUM* bn) {
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, as_uchars(std::span<std::byte>(out)));
  return out;
}

}  // namespace

std::string_view ssh_key_type_name(SshKeyType type) noexcept {
  for (const auto& names : kTypeNames) {
    if (names.type == type) return names.key;
  }
  return {};
}

std::string_view ssh_certificate_type_name(SshKeyType type) noexcept {
  for (const auto& names : kTypeNames) {
    if (names.type == type) return names.certificate;
  }
  return {};
}

std::optional<SshKeyType> ssh_key_type_from_name(std::string_view name) noexcept {
  for (const auto& names : kTypeNames) {
    if (names.key == name) return names.type;
  }
  return std::nullopt;
}

std::optional<SshKeyType> ssh_key_type_from_certificate_name(std::string_view name) noexcept {
  for (const auto& names : kTypeNames) {
    if (names.certificate == name) return names.type;
  }
  return std::nullopt;
}

SshKeyType ssh_key_type_of(KeyAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case KeyAlgorithm::ed25519:
      return SshKeyType::ed25519;
    case KeyAlgorithm::ecdsa_p256:
      return SshKeyType::ecdsa_p256;
    case KeyAlgorithm::ecdsa_p384:
      return SshKeyType::ecdsa_p384;
    case KeyAlgorithm::ecdsa_p521:
      return SshKeyType::ecdsa_p521;
    case KeyAlgorithm::rsa:
      return SshKeyType::rsa;
  }
  return SshKeyType::ed25519;
}

const SshEcCurve* ssh_ec_curve(SshKeyType type) noexcept {
  switch (type) {
    case SshKeyType::ecdsa_p256:
      return &kP256;
    case SshKeyType::ecdsa_p384:
      return &kP384;
    case SshKeyType::ecdsa_p521:
      return &kP521;
    case SshKeyType::ed25519:
    case SshKeyType::rsa:
      return nullptr;
  }
  return nullptr;
}

Result<SshPublicKey> SshPublicKey::read_fields(SshKeyType type, ByteReader& reader) {
  ByteReader probe = reader;
  ByteWriter blob;
  blob.string(ssh_key_type_name(type));
  const std::size_t fields_offset = blob.size();
  int bits = 0;
  if (type == SshKeyType::ed25519) {
    ByteView pk;
    if (!probe.string(32, pk) || pk.size() != 32) return CaErrc::malformed;
    blob.string(pk);
    bits = 256;
  } else if (const SshEcCurve* curve = ssh_ec_curve(type)) {
    std::string curve_name;
    ByteView point;
    const std::size_t point_size = 1 + 2 * curve->coordinate_bytes;
    if (!probe.cstring(kMaxTypeName, curve_name) || !probe.string(point_size, point))
      return CaErrc::malformed;
    // Only the uncompressed form (0x04 || X || Y) is canonical; re-encoding must give the same
    // blob.
    if (curve_name != curve->ssh_name || point.size() != point_size ||
        point[0] != std::byte{0x04}) {
      return CaErrc::malformed;
    }
    if (auto key = ec_key_from_point(*curve, point); !key) return key.error();
    blob.string(curve_name);
    blob.string(point);
    bits = curve->bits;
  } else {
    ByteView e;
    ByteView n;
    if (!read_mpint_positive(probe, kMaxRsaExponentBytes, e) ||
        !read_mpint_positive(probe, kMaxRsaModulusReadBytes, n)) {
      return CaErrc::malformed;
    }
    if (!is_odd(e) || magnitude_bits(e) < 2 || !is_odd(n)) return CaErrc::malformed;
    bits = magnitude_bits(n);
    if (bits < kMinSshRsaBits || bits > kMaxSshRsaBits) return CaErrc::unsupported_key;
    blob.mpint_positive(e);
    blob.mpint_positive(n);
  }
  reader = probe;
  return SshPublicKey(type, blob.take(), fields_offset, bits);
}

Result<SshPublicKey> SshPublicKey::parse_blob(ByteView blob) {
  ByteReader reader(blob);
  std::string name;
  if (!reader.cstring(kMaxTypeName, name)) return CaErrc::malformed;
  const auto type = ssh_key_type_from_name(name);
  if (!type) return CaErrc::unsupported_key;
  auto key = read_fields(*type, reader);
  if (!key) return key.error();
  if (!reader.empty()) return CaErrc::malformed;
  return key;
}

Result<SshPublicKey> SshPublicKey::parse_line(std::string_view line) {
  if (line.size() > kMaxSshPublicKeyLine) return CaErrc::malformed;
  SshLineParts parts;
  if (!split_ssh_line(line, parts)) return CaErrc::malformed;
  Bytes blob;
  if (!base64_decode(parts.base64, blob)) return CaErrc::malformed;
  auto key = parse_blob(blob);
  if (!key) return key.error();
  if (key->type_name() != parts.type) return CaErrc::malformed;
  key->comment_.assign(parts.comment);
  return key;
}

Result<SshPublicKey> SshPublicKey::from_evp(const EVP_PKEY* key) {
  auto algorithm = key_algorithm_of(key);
  if (!algorithm) return algorithm.error();
  const SshKeyType type = ssh_key_type_of(*algorithm);
  clear_openssl_errors();
  ByteWriter blob;
  blob.string(ssh_key_type_name(type));
  if (type == SshKeyType::ed25519) {
    std::array<std::byte, 32> pk{};
    std::size_t length = pk.size();
    if (EVP_PKEY_get_raw_public_key(key, as_uchars(std::span<std::byte>(pk)), &length) != 1 ||
        length != 32) {
      return CaErrc::crypto_failure;
    }
    blob.string(pk);
  } else if (const SshEcCurve* curve = ssh_ec_curve(type)) {
    BIGNUM* x_raw = nullptr;
    BIGNUM* y_raw = nullptr;
    const int got_x = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x_raw);
    BignumPtr x(x_raw);
    const int got_y = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y_raw);
    BignumPtr y(y_raw);
    if (got_x != 1 || got_y != 1) return CaErrc::crypto_failure;
    Bytes point(1 + 2 * curve->coordinate_bytes);
    point[0] = std::byte{0x04};
    const int size = static_cast<int>(curve->coordinate_bytes);
    auto* out = as_uchars(std::span<std::byte>(point));
    if (BN_bn2binpad(x.get(), out + 1, size) != size ||
        BN_bn2binpad(y.get(), out + 1 + size, size) != size) {
      return CaErrc::crypto_failure;
    }
    blob.string(curve->ssh_name);
    blob.string(point);
  } else {
    BIGNUM* n_raw = nullptr;
    BIGNUM* e_raw = nullptr;
    const int got_n = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n_raw);
    BignumPtr n(n_raw);
    const int got_e = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e_raw);
    BignumPtr e(e_raw);
    if (got_n != 1 || got_e != 1) return CaErrc::crypto_failure;
    blob.mpint_positive(bignum_magnitude(e.get()));
    blob.mpint_positive(bignum_magnitude(n.get()));
  }
  // Our own encoder's output still goes through the parser, so every key object is validated alike.
  return parse_blob(blob.bytes());
}

Result<SshPublicKey> SshPublicKey::with_comment(std::string_view comment) const {
  for (char c : comment) {
    if (c != '\t' && (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)) return CaErrc::malformed;
  }
  SshPublicKey copy = *this;
  copy.comment_.assign(comment);
  return copy;
}

std::string SshPublicKey::line() const {
  std::string out(type_name());
  out += ' ';
  out += base64_encode(blob_);
  if (!comment_.empty()) {
    out += ' ';
    out += comment_;
  }
  return out;
}

std::string SshPublicKey::fingerprint_sha256() const {
  std::array<std::byte, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(blob_.data(), blob_.size(), as_uchars(std::span<std::byte>(digest)), &length,
                 EVP_sha256(), nullptr) != 1) {
    // SHA-256 over a buffer cannot fail short of memory exhaustion; an empty result never matches.
    clear_openssl_errors();
    return {};
  }
  std::string encoded = base64_encode(digest);
  while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
  return "SHA256:" + encoded;
}

Result<EvpPkeyPtr> SshPublicKey::to_evp() const {
  ByteReader reader(fields());
  clear_openssl_errors();
  if (type_ == SshKeyType::ed25519) {
    ByteView pk;
    if (!reader.string(32, pk)) return CaErrc::crypto_failure;
    EvpPkeyPtr key(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, as_uchars(pk), pk.size()));
    if (!key) return CaErrc::crypto_failure;
    return key;
  }
  if (const SshEcCurve* curve = ssh_ec_curve(type_)) {
    ByteView name;
    ByteView point;
    if (!reader.string(kMaxTypeName, name) ||
        !reader.string(1 + 2 * curve->coordinate_bytes, point)) {
      return CaErrc::crypto_failure;
    }
    return ec_key_from_point(*curve, point);
  }
  ByteView e;
  ByteView n;
  if (!read_mpint_positive(reader, kMaxRsaExponentBytes, e) ||
      !read_mpint_positive(reader, kMaxRsaModulusReadBytes, n)) {
    return CaErrc::crypto_failure;
  }
  return rsa_key_from_parts(e, n);
}

}  // namespace jit::ca
