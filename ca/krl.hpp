// OpenSSH Key Revocation Lists (docs/protocols.md section 3), as sshd's RevokedKeys reads them. The
// reader accepts our own output and ssh-keygen's (`ssh-keygen -k`), and is at least as strict as
// sshd 9.2: anything it accepts, sshd accepts too, because a KRL sshd cannot read locks every user
// out.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"
#include "ca/ssh_certificate.hpp"
#include "ca/ssh_public_key.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jit::ca {

// A KRL file starts with these 8 bytes and a uint32 format version (docs/protocols.md section 3).
inline constexpr std::string_view kKrlMagic{"SSHKRL\n\0", 8};
inline constexpr std::uint32_t kKrlFormatVersion = 1;
inline constexpr std::size_t kMaxKrlBytes = 64 * 1024 * 1024;
// sshd 9.2 reads a bitmap as a bignum of at most 16384 bits (SSHBUF_MAX_BIGNUM): a larger one makes
// it refuse the whole file ("bignum is too large"), and `ssh-keygen -k` 9.2 can write such files.
inline constexpr std::size_t kMaxKrlBitmapBytes = 2048;

enum class KrlSectionType : std::uint8_t {
  certificates = 1,
  explicit_key = 2,
  fingerprint_sha1 = 3,
  signature = 4,
  fingerprint_sha256 = 5,
};
enum class KrlCertSectionType : std::uint8_t {
  serial_list = 0x20,
  serial_range = 0x21,
  serial_bitmap = 0x22,
  key_id = 0x23,
};

struct KrlSerialRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
  friend bool operator==(const KrlSerialRange&, const KrlSerialRange&) = default;
};

// Revocations of certificates signed by one CA key (or by any CA when ca_key_blob is empty).
struct KrlCertificateScope {
  Bytes ca_key_blob;
  std::vector<KrlSerialRange> serials;  // sorted, disjoint, never touching, never containing 0
  std::vector<std::string> key_ids;     // sorted, unique
};

struct Krl {
  std::uint64_t version = 0;
  std::uint64_t generated_date = 0;
  std::uint64_t flags = 0;
  std::string comment;
  std::vector<KrlCertificateScope> certificate_scopes;  // one per CA key blob, sorted by blob
  std::vector<Bytes> revoked_keys;                      // plain key blobs, sorted, unique
  std::vector<Bytes> revoked_sha1;                      // 20-byte digests, sorted, unique
  std::vector<Bytes> revoked_sha256;                    // 32-byte digests, sorted, unique
};

// malformed for anything sshd 9.2 would refuse (bad magic or format version, truncation, trailing
// bytes in a section, serial 0, min > max, a bitmap that wraps or exceeds 2048 bytes, unknown
// section types) and also for signature (4) and extension (255, 0x39) sections, which we never
// publish.
[[nodiscard]] Result<Krl> parse_krl(ByteView data);

// sshd's matching rules (docs/protocols.md 3.4).
[[nodiscard]] bool is_key_revoked(const Krl& krl, const SshPublicKey& key);
[[nodiscard]] bool is_revoked(const Krl& krl, const SshCertificate& certificate);

}  // namespace jit::ca
