// OpenSSH public keys (docs/protocols.md section 1): the `.pub` line, wire blob, conversion to and
// from OpenSSL keys, and the SHA256 fingerprint as ssh-keygen prints it. Only the key types the
// broker accepts can be represented: Ed25519, ECDSA on NIST P-256/384/521, and RSA of 3072 to 16384
// bits.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"
#include "ca/openssl_handles.hpp"
#include "ca/private_key.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace jit::ca {

enum class SshKeyType { ed25519, ecdsa_p256, ecdsa_p384, ecdsa_p521, rsa };

// "ssh-ed25519", "ecdsa-sha2-nistp256", ..., "ssh-rsa".
[[nodiscard]] std::string_view ssh_key_type_name(SshKeyType type) noexcept;
// "ssh-ed25519-cert-v01@openssh.com", ...
[[nodiscard]] std::string_view ssh_certificate_type_name(SshKeyType type) noexcept;
[[nodiscard]] std::optional<SshKeyType> ssh_key_type_from_name(std::string_view name) noexcept;
[[nodiscard]] std::optional<SshKeyType> ssh_key_type_from_certificate_name(
    std::string_view name) noexcept;
[[nodiscard]] SshKeyType ssh_key_type_of(KeyAlgorithm algorithm) noexcept;

// What an ECDSA key type fixes: the curve identifier inside the blob, OpenSSL's group name, the
// digest its signatures use (docs/protocols.md section 1) and the size of one coordinate.
struct SshEcCurve {
  std::string_view ssh_name;  // "nistp256"
  const char* group;          // "P-256"
  const char* digest;         // "SHA256"
  std::size_t coordinate_bytes;
  int bits;
};
// The curve of an ECDSA type; nullptr for Ed25519 and RSA.
[[nodiscard]] const SshEcCurve* ssh_ec_curve(SshKeyType type) noexcept;

inline constexpr std::size_t kMaxSshPublicKeyLine = 16 * 1024;
inline constexpr int kMinSshRsaBits = 3072;
inline constexpr int kMaxSshRsaBits = 16384;

// An immutable, validated public key. Errors: unsupported_key for DSA, short RSA, other curves or
// unknown type names (including certificate types); malformed for everything that does not parse
// (bad base64, a type name in the line that differs from the blob's, wrong lengths, trailing bytes,
// a point not on its curve, a non-canonical mpint).
class SshPublicKey {
 public:
  [[nodiscard]] static Result<SshPublicKey> parse_line(std::string_view line);
  [[nodiscard]] static Result<SshPublicKey> parse_blob(ByteView blob);
  // Reads only the type-specific fields that follow the type name (certificate field 3).
  [[nodiscard]] static Result<SshPublicKey> read_fields(SshKeyType type, ByteReader& reader);
  // The public half of an OpenSSL key (a private key is fine; only its public part is used).
  [[nodiscard]] static Result<SshPublicKey> from_evp(const EVP_PKEY* key);

  [[nodiscard]] SshKeyType type() const noexcept { return type_; }
  [[nodiscard]] std::string_view type_name() const noexcept { return ssh_key_type_name(type_); }
  // The plain key blob: string type, then the type-specific fields.
  [[nodiscard]] ByteView blob() const noexcept { return blob_; }
  // The blob without its leading type string, as copied into a certificate.
  [[nodiscard]] ByteView fields() const noexcept { return ByteView(blob_).subspan(fields_offset_); }
  [[nodiscard]] const std::string& comment() const noexcept { return comment_; }
  // A copy with another comment; malformed if it holds a control character.
  [[nodiscard]] Result<SshPublicKey> with_comment(std::string_view comment) const;
  // Modulus size for RSA; 256/384/521 for ECDSA; 256 for Ed25519.
  [[nodiscard]] int bits() const noexcept { return bits_; }

  // `type base64(blob)` plus ` comment` when there is one, without a newline.
  [[nodiscard]] std::string line() const;
  // "SHA256:" + unpadded base64 of SHA-256(blob), exactly as `ssh-keygen -l` prints it.
  [[nodiscard]] std::string fingerprint_sha256() const;
  [[nodiscard]] Result<EvpPkeyPtr> to_evp() const;

  // Keys are equal when their blobs are; the comment is not part of the key.
  friend bool operator==(const SshPublicKey& a, const SshPublicKey& b) noexcept {
    return a.type_ == b.type_ && a.blob_ == b.blob_;
  }

 private:
  SshPublicKey(SshKeyType type, Bytes blob, std::size_t fields_offset, int bits)
      : type_(type), blob_(std::move(blob)), fields_offset_(fields_offset), bits_(bits) {}

  SshKeyType type_;
  Bytes blob_;
  std::size_t fields_offset_;
  int bits_;
  std::string comment_;
};

}  // namespace jit::ca
