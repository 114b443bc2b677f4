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

// Extensions { Extension { reasonCode, OCTET STRING { ENUMERATED reason } } }
std::array<std::byte, 14> reason_extensions(CrlReason reason) {
  return {std::byte{0x30}, std::byte{0x0C},
          std::byte{0x30}, std::byte{0x0A},
          std::byte{0x06}, std::byte{0x03},
          std::byte{0x55}, std::byte{0x1D},
          std::byte{0x15}, std::byte{0x04},
          std::byte{0x03}, std::byte{0x0A},
          std::byte{0x01}, static_cast<std::byte>(reason)};
}

void write_entries(DerWriter& out, const std::vector<const CrlEntry*>& listed) {
  out.open(der_tag::kSequence);  // revokedCertificates
  for (const CrlEntry* entry : listed) {
    out.open(der_tag::kSequence);
    out.unsigned_integer(entry->serial.bytes());
    out.time(entry->revoked_at);
    if (entry->reason != CrlReason::unspecified) out.raw(reason_extensions(entry->reason));
    out.close();
  }
  out.close();
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
  std::vector<const CrlEntry*> listed;
  listed.reserve(entries.size());
  for (const CrlEntry& entry : entries) {
    if (!known_reason(entry.reason) || !der_time_encodable(entry.revoked_at)) {
      return CaErrc::invalid_argument;
    }
    if (entry.not_after >= now) listed.push_back(&entry);
  }
  std::sort(listed.begin(), listed.end(),
            [](const CrlEntry* a, const CrlEntry* b) { return a->serial < b->serial; });
  const auto duplicate = std::adjacent_find(
      listed.begin(), listed.end(),
      [](const CrlEntry* a, const CrlEntry* b) { return a->serial == b->serial; });
  if (duplicate != listed.end()) return CaErrc::invalid_argument;

  // About 50 bytes per entry: serial 18, time 15, reason 14, headers.
  DerWriter tbs;
  tbs.reserve(256 + issuer.subject_der().size() + listed.size() * 52);
  tbs.open(der_tag::kSequence);            // TBSCertList
  tbs.unsigned_integer(std::uint64_t{1});  // v2
  tbs.raw(issuer.signature_algorithm());
  tbs.raw(issuer.subject_der());
  tbs.time(this_second);
  tbs.time(next_second);
  if (!listed.empty()) write_entries(tbs, listed);  // absent, not empty, when there are none
  write_crl_extensions(tbs, issuer, crl_number);
  tbs.close();

  auto der = issuer.sign_structure(tbs.view());
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
