#include "ca/crl_builder.hpp"

#include "ca/x509_der.hpp"
#include "ca/x509_oids.hpp"
#include "ca/x509_pem.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace jit::ca {
namespace {

using std::chrono::system_clock;

bool known_reason(CrlReason reason) {
  switch (reason) {
    case CrlReason::unspecified:
    case CrlReason::key_compromise:
    case CrlReason::ca_compromise:
    case CrlReason::affiliation_changed:
    case CrlReason::superseded:
    case CrlReason::cessation_of_operation:
    case CrlReason::certificate_hold:
    case CrlReason::privilege_withdrawn:
    case CrlReason::aa_compromise:
      return true;
  }
  return false;
}

using ReasonExtensions = std::array<std::byte, 14>;

// Extensions { Extension { reasonCode, OCTET STRING { ENUMERATED reason } } }
ReasonExtensions reason_extensions(CrlReason reason) {
  return {std::byte{0x30}, std::byte{0x0C},
          std::byte{0x30}, std::byte{0x0A},
          std::byte{0x06}, std::byte{0x03},
          std::byte{0x55}, std::byte{0x1D},
          std::byte{0x15}, std::byte{0x04},
          std::byte{0x03}, std::byte{0x0A},
          std::byte{0x01}, static_cast<std::byte>(reason)};
}

// Sorting 100,000 entries by pointer and memcmp misses the cache on every comparison; this key
// holds the length and the first seven octets inline, which decide almost every comparison.
struct SortKey {
  std::uint64_t prefix;
  const CrlEntry* entry;
};

SortKey sort_key(const CrlEntry& entry) {
  const ByteView bytes = entry.serial.bytes();
  std::uint64_t prefix = static_cast<std::uint64_t>(bytes.size()) << 56;
  for (std::size_t i = 0; i < 7 && i < bytes.size(); ++i) {
    prefix |= std::to_integer<std::uint64_t>(bytes[i]) << (48 - 8 * i);
  }
  return {prefix, &entry};
}

bool serial_less(const SortKey& a, const SortKey& b) {
  if (a.prefix != b.prefix) return a.prefix < b.prefix;
  return a.entry->serial < b.entry->serial;
}

// revokedCertificates entries are small (under 128 bytes), so each is a 2-byte SEQUENCE header plus
// INTEGER serial, Time, and the optional reasonCode extensions.
std::size_t entry_size(const CrlEntry& entry) {
  const ByteView serial = entry.serial.bytes();
  const bool sign_octet = (std::to_integer<unsigned>(serial[0]) & 0x80U) != 0;
  const std::size_t integer = 2 + serial.size() + (sign_octet ? 1 : 0);
  const std::size_t reason =
      entry.reason == CrlReason::unspecified ? 0 : std::tuple_size_v<ReasonExtensions>;
  return 2 + integer + der_time_size(entry.revoked_at) + reason;
}

void write_entry(DerWriter& out, const CrlEntry& entry, std::size_t size) {
  out.header(der_tag::kSequence, size - 2);
  out.unsigned_integer(entry.serial.bytes());
  out.time(entry.revoked_at);
  if (entry.reason != CrlReason::unspecified) out.raw(reason_extensions(entry.reason));
}

void write_crl_extensions(DerWriter& out, const X509CertificateAuthority& issuer,
                          std::uint64_t crl_number) {
  out.open(der_tag::context(0, true));
  out.open(der_tag::kSequence);
  out.open(der_tag::kSequence);  // authorityKeyIdentifier { keyIdentifier [0] }
  out.element(der_tag::kOid, as_bytes(x509_oid::kAuthorityKeyIdentifier));
  out.open(der_tag::kOctetString);
  out.open(der_tag::kSequence);
  out.element(der_tag::context(0, false), issuer.key_identifier());
  out.close();
  out.close();
  out.close();
  out.open(der_tag::kSequence);  // cRLNumber INTEGER
  out.element(der_tag::kOid, as_bytes(x509_oid::kCrlNumber));
  out.open(der_tag::kOctetString);
  out.unsigned_integer(crl_number);
  out.close();
  out.close();
  out.close();
  out.close();
}

}  // namespace

Result<BuiltCrl> build_crl(const X509CertificateAuthority& issuer,
                           std::span<const CrlEntry> entries, std::uint64_t crl_number,
                           system_clock::time_point this_update,
                           system_clock::time_point next_update, system_clock::time_point now) {
  const system_clock::time_point this_second =
      std::chrono::floor<std::chrono::seconds>(this_update);
  const system_clock::time_point next_second =
      std::chrono::floor<std::chrono::seconds>(next_update);
  if (next_second <= this_second || !der_time_encodable(this_second) ||
      !der_time_encodable(next_second)) {
    return CaErrc::invalid_argument;
  }
  std::vector<SortKey> listed;
  listed.reserve(entries.size());
  for (const CrlEntry& entry : entries) {
    if (!known_reason(entry.reason) || !der_time_encodable(entry.revoked_at)) {
      return CaErrc::invalid_argument;
    }
    if (entry.not_after >= now) listed.push_back(sort_key(entry));
  }
  std::sort(listed.begin(), listed.end(), serial_less);
  const auto duplicate = std::adjacent_find(
      listed.begin(), listed.end(),
      [](const SortKey& a, const SortKey& b) { return a.entry->serial == b.entry->serial; });
  if (duplicate != listed.end()) return CaErrc::invalid_argument;

  // The parts around the revoked list are small and built first; the list's exact size is summed
  // so that the megabytes of entries are written once, in place, without a move on close.
  DerWriter prefix;
  prefix.unsigned_integer(std::uint64_t{1});  // v2
  prefix.raw(issuer.signature_algorithm());
  prefix.raw(issuer.subject_der());
  prefix.time(this_second);
  prefix.time(next_second);
  DerWriter suffix;
  write_crl_extensions(suffix, issuer, crl_number);
  std::size_t entries_size = 0;
  for (const SortKey& key : listed) entries_size += entry_size(*key.entry);
  // revokedCertificates is absent, not empty, when nothing is listed.
  const std::size_t revoked_size =
      listed.empty() ? 0 : der_header_size(entries_size) + entries_size;
  const std::size_t content = prefix.size() + revoked_size + suffix.size();

  // Room for the signed CRL's own header in front, and its signature behind, in one allocation.
  const std::size_t tbs_size = der_header_size(content) + content;
  DerWriter tbs;
  tbs.reserve(X509CertificateAuthority::kSignHeadroom + tbs_size + 1024);
  tbs.raw(Bytes(X509CertificateAuthority::kSignHeadroom));
  tbs.header(der_tag::kSequence, content);  // TBSCertList
  tbs.raw(prefix.view());
  if (!listed.empty()) {
    tbs.header(der_tag::kSequence, entries_size);
    for (const SortKey& key : listed) write_entry(tbs, *key.entry, entry_size(*key.entry));
  }
  tbs.raw(suffix.view());
  if (tbs.size() != X509CertificateAuthority::kSignHeadroom + tbs_size)
    return CaErrc::crypto_failure;  // a sizing bug

  auto der = issuer.sign_structure_in_place(tbs.take());
  if (!der) return der.error();
  BuiltCrl crl;
  crl.pem = encode_pem("X509 CRL", *der);
  crl.der = std::move(*der);
  crl.crl_number = crl_number;
  crl.listed = listed.size();
  crl.pruned = entries.size() - listed.size();
  crl.this_update = this_second;
  crl.next_update = next_second;
  return crl;
}

}  // namespace jit::ca
