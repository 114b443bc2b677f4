#include "ca/krl.hpp"

#include "ca/ssh_wire.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <map>

namespace jit::ca {
namespace {

constexpr std::size_t kMaxBlob = 16 * 1024;
constexpr std::size_t kMaxReadComment = 4096;
constexpr std::size_t kMaxKeyId = 4096;

struct ScopeBuilder {
  std::vector<KrlSerialRange> serials;
  std::vector<std::string> key_ids;
};

bool read_serial_list(ByteReader& reader, ScopeBuilder& scope) {
  scope.serials.reserve(scope.serials.size() + reader.remaining() / 8);
  while (!reader.empty()) {
    std::uint64_t serial = 0;
    if (!reader.u64(serial) || serial == 0) return false;
    scope.serials.push_back({serial, serial});
  }
  return true;
}

bool read_serial_range(ByteReader& reader, ScopeBuilder& scope) {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (!reader.u64(first) || !reader.u64(last) || first == 0 || first > last) return false;
  scope.serials.push_back({first, last});
  return true;
}

// Bit N of the bitmap (bit 0 = least significant bit of the last byte) revokes serial offset + N.
bool read_serial_bitmap(ByteReader& reader, ScopeBuilder& scope) {
  std::uint64_t offset = 0;
  ByteView bitmap;
  if (!reader.u64(offset) || !read_mpint_positive(reader, kMaxKrlBitmapBytes, bitmap)) return false;
  const std::uint64_t bit_count = bitmap.size() * 8;
  for (std::uint64_t bit = 0; bit < bit_count; ++bit) {
    const auto byte = std::to_integer<unsigned>(bitmap[bitmap.size() - 1 - bit / 8]);
    if (((byte >> (bit % 8)) & 1U) == 0) continue;
    if (bit > ~offset) return false;  // offset + bit would wrap past 2^64 - 1
    const std::uint64_t serial = offset + bit;
    if (serial == 0) return false;
    if (!scope.serials.empty() && scope.serials.back().last + 1 == serial) {
      scope.serials.back().last = serial;
    } else {
      scope.serials.push_back({serial, serial});
    }
  }
  return true;
}

bool read_key_ids(ByteReader& reader, ScopeBuilder& scope) {
  while (!reader.empty()) {
    std::string key_id;
    if (!reader.cstring(kMaxKeyId, key_id)) return false;
    scope.key_ids.push_back(std::move(key_id));
  }
  return true;
}

bool read_certificate_section(ByteReader& reader, std::map<Bytes, ScopeBuilder>& scopes) {
  ByteView ca_key;
  ByteView reserved;
  if (!reader.string(kMaxBlob, ca_key) || !reader.string(kMaxBlob, reserved)) return false;
  if (!ca_key.empty()) {
    // The CA key must at least look like a key blob (a type name); sshd parses it fully.
    ByteReader key_reader(ca_key);
    std::string type;
    if (!key_reader.cstring(64, type) || type.empty()) return false;
  }
  ScopeBuilder& scope = scopes[Bytes(ca_key.begin(), ca_key.end())];
  while (!reader.empty()) {
    std::uint8_t type = 0;
    ByteReader sub(ByteView{});
    if (!reader.u8(type) || !reader.sub(kMaxKrlBytes, sub)) return false;
    bool ok = false;
    switch (static_cast<KrlCertSectionType>(type)) {
      case KrlCertSectionType::serial_list:
        ok = read_serial_list(sub, scope);
        break;
      case KrlCertSectionType::serial_range:
        ok = read_serial_range(sub, scope);
        break;
      case KrlCertSectionType::serial_bitmap:
        ok = read_serial_bitmap(sub, scope);
        break;
      case KrlCertSectionType::key_id:
        ok = read_key_ids(sub, scope);
        break;
      default:
        return false;  // includes the 9.4+ extension subsection 0x39
    }
    if (!ok || !sub.empty()) return false;
  }
  return true;
}

bool read_blobs(ByteReader& reader, std::size_t exact_size, std::vector<Bytes>& out) {
  while (!reader.empty()) {
    ByteView blob;
    if (!reader.string(kMaxBlob, blob) || blob.empty()) return false;
    if (exact_size != 0 && blob.size() != exact_size) return false;
    out.emplace_back(blob.begin(), blob.end());
  }
  return true;
}

// Sorts and merges overlapping or touching ranges in place (usually already sorted: then it is one
// pass).
void merge_ranges(std::vector<KrlSerialRange>& ranges) {
  const auto by_first = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (!std::is_sorted(ranges.begin(), ranges.end(), by_first))
    std::sort(ranges.begin(), ranges.end(), by_first);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    KrlSerialRange& last = ranges[kept == 0 ? 0 : kept - 1];
    if (kept > 0 && (last.last == UINT64_MAX || ranges[i].first <= last.last + 1)) {
      last.last = std::max(last.last, ranges[i].last);
    } else {
      ranges[kept++] = ranges[i];
    }
  }
  ranges.resize(kept);
}

template <typename T>
void sort_unique(std::vector<T>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

bool digest_listed(const std::vector<Bytes>& list, ByteView blob, const EVP_MD* md) {
  if (list.empty()) return false;
  std::array<std::byte, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(blob.data(), blob.size(), as_uchars(std::span<std::byte>(digest)), &length, md,
                 nullptr) != 1) {
    // Cannot compute: treat as revoked, the fail-closed answer.
    clear_openssl_errors();
    return true;
  }
  const Bytes wanted(digest.begin(), digest.begin() + length);
  return std::binary_search(list.begin(), list.end(), wanted);
}

}  // namespace

Result<Krl> parse_krl(ByteView data) {
  if (data.size() > kMaxKrlBytes) return CaErrc::malformed;
  ByteReader reader(data);
  ByteView magic;
  std::uint32_t format = 0;
  ByteView reserved;
  Krl krl;
  if (!reader.bytes(kKrlMagic.size(), magic) || as_chars(magic) != kKrlMagic ||
      !reader.u32(format) || format != kKrlFormatVersion || !reader.u64(krl.version) ||
      !reader.u64(krl.generated_date) || !reader.u64(krl.flags) ||
      !reader.string(kMaxBlob, reserved) || !reader.cstring(kMaxReadComment, krl.comment)) {
    return CaErrc::malformed;
  }
  std::map<Bytes, ScopeBuilder> scopes;
  while (!reader.empty()) {
    std::uint8_t type = 0;
    ByteReader section(ByteView{});
    if (!reader.u8(type) || !reader.sub(kMaxKrlBytes, section)) return CaErrc::malformed;
    bool ok = false;
    switch (static_cast<KrlSectionType>(type)) {
      case KrlSectionType::certificates:
        ok = read_certificate_section(section, scopes);
        break;
      case KrlSectionType::explicit_key:
        ok = read_blobs(section, 0, krl.revoked_keys);
        break;
      case KrlSectionType::fingerprint_sha1:
        ok = read_blobs(section, 20, krl.revoked_sha1);
        break;
      case KrlSectionType::fingerprint_sha256:
        ok = read_blobs(section, 32, krl.revoked_sha256);
        break;
      default:
        return CaErrc::malformed;  // signature (4), extension (255) and unknown sections
    }
    if (!ok || !section.empty()) return CaErrc::malformed;
  }
  for (auto& [blob, scope] : scopes) {
    sort_unique(scope.key_ids);
    merge_ranges(scope.serials);
    krl.certificate_scopes.push_back(
        KrlCertificateScope{blob, std::move(scope.serials), std::move(scope.key_ids)});
  }
  sort_unique(krl.revoked_keys);
  sort_unique(krl.revoked_sha1);
  sort_unique(krl.revoked_sha256);
  return krl;
}

bool is_key_revoked(const Krl& krl, const SshPublicKey& key) {
  const Bytes blob(key.blob().begin(), key.blob().end());
  return std::binary_search(krl.revoked_keys.begin(), krl.revoked_keys.end(), blob) ||
         digest_listed(krl.revoked_sha256, blob, EVP_sha256()) ||
         digest_listed(krl.revoked_sha1, blob, EVP_sha1());
}

bool is_revoked(const Krl& krl, const SshCertificate& certificate) {
  if (is_key_revoked(krl, certificate.subject) || is_key_revoked(krl, certificate.ca_key))
    return true;
  const ByteView ca_blob = certificate.ca_key.blob();
  for (const KrlCertificateScope& scope : krl.certificate_scopes) {
    const bool applies =
        scope.ca_key_blob.empty() || std::equal(scope.ca_key_blob.begin(), scope.ca_key_blob.end(),
                                                ca_blob.begin(), ca_blob.end());
    if (!applies) continue;
    if (certificate.serial != 0) {
      const auto range = std::upper_bound(
          scope.serials.begin(), scope.serials.end(), certificate.serial,
          [](std::uint64_t serial, const KrlSerialRange& r) { return serial < r.first; });
      if (range != scope.serials.begin() && std::prev(range)->last >= certificate.serial)
        return true;
    }
    if (std::binary_search(scope.key_ids.begin(), scope.key_ids.end(), certificate.key_id))
      return true;
  }
  return false;
}

}  // namespace jit::ca
