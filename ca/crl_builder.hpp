// Version 2 CRLs (RFC 5280 5.1, docs/protocols.md 6.2) signed by an X.509 CA: cRLNumber and
// authorityKeyIdentifier extensions, a reasonCode entry extension when the reason is not
// "unspecified", entries sorted by serial. Only certificates that are revoked and not yet expired
// are listed: short certificate lifetimes keep the list small, and each rebuild prunes the rest.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"
#include "ca/x509_certificate_authority.hpp"
#include "ca/x509_serial.hpp"

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

namespace jit::ca {

// RFC 5280 5.3.1 CRLReason values. removeFromCRL (8) belongs to delta CRLs, which we do not issue.
enum class CrlReason : std::uint8_t {
  unspecified = 0,  // written as no reasonCode extension, as RFC 5280 recommends
  key_compromise = 1,
  ca_compromise = 2,
  affiliation_changed = 3,
  superseded = 4,
  cessation_of_operation = 5,
  certificate_hold = 6,
  privilege_withdrawn = 9,
  aa_compromise = 10,
};

struct CrlEntry {
  X509Serial serial;
  std::chrono::system_clock::time_point revoked_at;
  CrlReason reason = CrlReason::unspecified;
  std::chrono::system_clock::time_point not_after;  // the certificate's; expired entries are pruned
};

struct BuiltCrl {
  Bytes der;
  std::string pem;  // "X509 CRL"
  std::uint64_t crl_number = 0;
  std::size_t listed = 0;  // entries written
  std::size_t pruned = 0;  // entries left out because their certificate had expired at `now`
  std::chrono::system_clock::time_point this_update;  // as written: whole seconds
  std::chrono::system_clock::time_point next_update;
};

// The default CRL lifetime (docs/protocols.md 6.2); the broker's config may change it.
inline constexpr std::chrono::minutes kDefaultCrlValidity{5};

// Lists the entries whose not_after >= now. crl_number must grow with every CRL the CA publishes
// (the caller persists it). invalid_argument when next_update <= this_update, a time cannot be
// written (before 1950 or after 9999), a reason is not one of CrlReason's values, or a serial
// appears twice among the listed entries. Thread-safe; about 70 ms for 100,000 entries on
// one core here (tests/bench/x509_ca_bench), a third of it the PEM.
[[nodiscard]] Result<BuiltCrl> build_crl(const X509CertificateAuthority& issuer,
                                         std::span<const CrlEntry> entries,
                                         std::uint64_t crl_number,
                                         std::chrono::system_clock::time_point this_update,
                                         std::chrono::system_clock::time_point next_update,
                                         std::chrono::system_clock::time_point now);

}  // namespace jit::ca
