#include "ca/ssh_signature.hpp"

#include "ca/ssh_wire.hpp"

#include <string>

namespace jit::ca {
namespace {

constexpr std::size_t kMaxAlgorithmName = 64;
constexpr std::size_t kMaxSignatureBytes = kMaxSshRsaBits / 8;

const char* digest_name(SshKeyType type) {
  if (const SshEcCurve* curve = ssh_ec_curve(type)) return curve->digest;
  if (type == SshKeyType::rsa) return "SHA512";
  return nullptr;  // Ed25519 signs the message itself.
}

Result<Bytes> raw_sign(EVP_PKEY* key, const char* digest, ByteView message) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr, key, nullptr) != 1) {
    return CaErrc::crypto_failure;
  }
  // The largest signature the key can make (DER ECDSA varies in length): one call, no size query.
  const int max_size = EVP_PKEY_get_size(key);
  if (max_size <= 0) return CaErrc::crypto_failure;
  std::size_t length = static_cast<std::size_t>(max_size);
  Bytes signature(length);
  if (EVP_DigestSign(ctx.get(), as_uchars(std::span<std::byte>(signature)), &length,
                     as_uchars(message), message.size()) != 1) {
    return CaErrc::crypto_failure;
  }
  signature.resize(length);
  return signature;
}

// True when the signature verifies; false for any refusal (OpenSSL does not tell a bad signature
// from a bad encoding apart, and both mean the same to us here).
bool raw_verify(EVP_PKEY* key, const char* digest, ByteView message, ByteView signature) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr, key, nullptr) != 1) {
    return false;
  }
  const bool ok = EVP_DigestVerify(ctx.get(), as_uchars(signature), signature.size(),
                                   as_uchars(message), message.size()) == 1;
  clear_openssl_errors();
  return ok;
}

Bytes magnitude_of(const BIGNUM* bn) {
  Bytes out(static_cast<std::size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, as_uchars(std::span<std::byte>(out)));
  return out;
}

// Converts SSH `mpint r, mpint s` into DER for OpenSSL; malformed on a structural error.
Result<Bytes> ecdsa_der_from_ssh(const SshEcCurve& curve, ByteView inner) {
  ByteReader reader(inner);
  ByteView r;
  ByteView s;
  if (!read_mpint_positive(reader, curve.coordinate_bytes, r) ||
      !read_mpint_positive(reader, curve.coordinate_bytes, s) || !reader.empty()) {
    return CaErrc::malformed;
  }
  clear_openssl_errors();
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BignumPtr bn_r(BN_bin2bn(as_uchars(r), static_cast<int>(r.size()), nullptr));
  BignumPtr bn_s(BN_bin2bn(as_uchars(s), static_cast<int>(s.size()), nullptr));
  if (!sig || !bn_r || !bn_s || ECDSA_SIG_set0(sig.get(), bn_r.get(), bn_s.get()) != 1) {
    return CaErrc::crypto_failure;
  }
  // ECDSA_SIG_set0 succeeded, so sig owns both numbers now.
  (void)bn_r.release();
  (void)bn_s.release();
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return CaErrc::crypto_failure;
  Bytes der(static_cast<std::size_t>(length));
  unsigned char* out = as_uchars(std::span<std::byte>(der));
  if (i2d_ECDSA_SIG(sig.get(), &out) != length) return CaErrc::crypto_failure;
  return der;
}

}  // namespace

std::string_view ssh_signature_algorithm(SshKeyType type) noexcept {
  return type == SshKeyType::rsa ? std::string_view("rsa-sha2-512") : ssh_key_type_name(type);
}

Result<void> append_ecdsa_signature_from_der(ByteView der, ByteWriter& out) {
  clear_openssl_errors();
  const unsigned char* cursor = as_uchars(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (!sig || cursor != as_uchars(der) + der.size()) return CaErrc::crypto_failure;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  ByteWriter inner;
  inner.mpint_positive(magnitude_of(r));
  inner.mpint_positive(magnitude_of(s));
  out.string(inner.bytes());
  return {};
}

const char* ssh_signature_digest(SshKeyType type) noexcept { return digest_name(type); }

Result<Bytes> ssh_signature_blob(SshKeyType type, ByteView raw) {
  ByteWriter blob;
  blob.reserve(raw.size() + 48);
  blob.string(ssh_signature_algorithm(type));
  if (ssh_ec_curve(type) != nullptr) {
    if (auto appended = append_ecdsa_signature_from_der(raw, blob); !appended)
      return appended.error();
  } else {
    blob.string(raw);
  }
  return blob.take();
}

Result<Bytes> ssh_sign(EVP_PKEY* key, SshKeyType type, ByteView message) {
  clear_openssl_errors();
  auto raw = raw_sign(key, digest_name(type), message);
  if (!raw) return raw.error();
  return ssh_signature_blob(type, *raw);
}

Result<void> ssh_verify(const SshPublicKey& key, ByteView message, ByteView signature_blob) {
  ByteReader reader(signature_blob);
  std::string algorithm;
  ByteView signature;
  if (!reader.cstring(kMaxAlgorithmName, algorithm) ||
      !reader.string(kMaxSignatureBytes, signature) || !reader.empty()) {
    return CaErrc::malformed;
  }
  const SshKeyType type = key.type();
  const char* digest = digest_name(type);
  Bytes converted;
  if (type == SshKeyType::ed25519) {
    if (algorithm != "ssh-ed25519" || signature.size() != 64) return CaErrc::malformed;
  } else if (const SshEcCurve* curve = ssh_ec_curve(type)) {
    if (algorithm != key.type_name()) return CaErrc::malformed;
    auto der = ecdsa_der_from_ssh(*curve, signature);
    if (!der) return der.error();
    converted = std::move(*der);
    signature = converted;
  } else {
    if (algorithm == "rsa-sha2-256") {
      digest = "SHA256";
    } else if (algorithm != "rsa-sha2-512") {
      return CaErrc::malformed;
    }
    if (signature.size() != static_cast<std::size_t>((key.bits() + 7) / 8))
      return CaErrc::malformed;
  }
  auto evp = key.to_evp();
  if (!evp) return evp.error();
  if (!raw_verify(evp->get(), digest, message, signature)) return CaErrc::bad_signature;
  return {};
}

}  // namespace jit::ca
