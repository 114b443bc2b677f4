// The pieces every publisher of revocation lists shares (the broker's RevocationPublisher and the
// `jit-broker krl write` admin command): reading the revoked, unexpired certificates from the
// store, taking the next KRL version and CRL number durably with an audit record, and building the
// KRL and CRLs from them. The lists only ever hold certificates that are revoked and not yet
// expired give or take the clock skew: issuance backdates validity by ca.clock_skew, so a host
// whose clock is that far behind still takes a certificate until not_after + clock_skew, and the
// entry stays listed until then. Short lifetimes keep the lists small.
#pragma once

#include "broker/broker_error.hpp"
#include "broker/store/db/db_connection.hpp"
#include "broker/store/store.hpp"
#include "ca/crl_builder.hpp"
#include "ca/krl_builder.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_certificate_authority.hpp"
#include "ca/x509_hierarchy.hpp"
#include "ca/x509_serial.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace jit::broker {

// certificates.ca_key of an X.509 certificate: lowercase hex SHA-256 of the issuing CA
// certificate's DER. internal if OpenSSL cannot hash (a broken installation).
[[nodiscard]] Result<std::string> x509_ca_fingerprint(const ca::X509CertificateAuthority& ca);

// x509_ca_fingerprint of the issuing CA, then of each previous issuing CA (newest first).
[[nodiscard]] Result<std::vector<std::string>> x509_issuer_fingerprints(
    const ca::X509CaHierarchy& x509_ca);

// One revoked SSH certificate, resolved against the CA keys the broker holds.
struct SshRevocation {
  std::size_t ca_key = 0;          // index into SshCertificateAuthority::keys()
  std::uint64_t serial = 0;        // 0 when the stored serial is unusable: then revoked by key id
  std::string key_id;              // set only when serial is 0
  std::uint64_t listed_until = 0;  // the certificate's not_after + clock skew
  friend bool operator==(const SshRevocation&, const SshRevocation&) = default;
};

// One revoked X.509 certificate of an issuing CA the broker holds.
struct X509Revocation {
  std::size_t issuer = 0;  // index into the issuing fingerprints: 0 the current issuing CA
  ca::X509Serial serial;
  std::int64_t revoked_at = 0;
  std::int64_t listed_until = 0;  // the certificate's not_after + clock skew
  friend bool operator==(const X509Revocation&, const X509Revocation&) = default;
};

struct RevokedCertificates {
  // In the index's order (revoked_at, not_after, id): the same rows always come in the same order.
  std::vector<SshRevocation> ssh;
  std::vector<X509Revocation> x509;
  // Rows no list can carry: signed by a CA key the broker no longer holds (an SSH key removed from
  // the config, or a former issuing CA), or an SSH row with neither a usable serial nor a key id.
  std::size_t skipped = 0;
};

// Maps certificates.ca_key values to the CAs the lists are signed for.
class RevocationSources {
 public:
  // x509_issuing_fingerprints: x509_ca_fingerprint of every issuing CA, the current one first
  // (x509_issuer_fingerprints); empty to read SSH rows only.
  // clock_skew: ca.clock_skew, how long an entry stays listed after its certificate's not_after.
  RevocationSources(const ca::SshCertificateAuthority& ssh_ca,
                    std::vector<std::string> x509_issuing_fingerprints,
                    std::chrono::seconds clock_skew);

  // Revoked certificates with not_after + clock_skew > now (Unix seconds), read in one statement
  // (one consistent view of the database). Throws db::Error on storage failure.
  [[nodiscard]] RevokedCertificates load(db::Connection& db, std::int64_t now) const;

 private:
  std::vector<std::string> ssh_fingerprints_;  // parallel to SshCertificateAuthority::keys()
  std::vector<std::string> x509_fingerprints_;
  std::int64_t clock_skew_ = 0;
};

struct PublicationNumbers {
  std::optional<std::uint64_t> krl_version;  // set when asked for
  std::optional<std::uint64_t> crl_number;
};

// What the audit record of a publication says besides the numbers.
struct PublicationCounts {
  std::size_t ssh_revoked = 0;
  std::size_t x509_revoked = 0;
  std::size_t skipped = 0;
};

// Increments the counters asked for (krl_version, crl_number) in one durable write job, with an
// audit record "revocation.publish" by `actor` giving the new numbers and the counts. Numbers only
// grow, across restarts and across processes sharing the database; a number whose list is then
// not built is simply never published. Errors: the store's (unavailable, internal).
[[nodiscard]] Result<PublicationNumbers> take_publication_numbers(Store& store, bool krl, bool crl,
                                                                  const std::string& actor,
                                                                  const PublicationCounts& counts);

// The KRL for sshd's RevokedKeys: one certificate section per CA key, by serial (by key id for a
// row whose serial is unusable). Errors are ca's (invalid_argument for a key id the KRL cannot
// carry, crypto_failure).
[[nodiscard]] Result<ca::BuiltKrl> build_revocation_krl(const ca::SshCertificateAuthority& ssh_ca,
                                                        std::span<const SshRevocation> revoked,
                                                        std::uint64_t version,
                                                        std::chrono::sys_seconds now);

// The issuing CA's CRL. Each entry has its revocation time and no reasonCode extension
// ("unspecified"): the broker does not know why a grant ended (a user lock may follow a stolen
// laptop), so it must not claim cessationOfOperation, which asserts that no key was compromised.
// Relying parties (nginx, OpenSSL) refuse a listed certificate whatever its reason.
[[nodiscard]] Result<ca::BuiltCrl> build_revocation_crl(const ca::X509CertificateAuthority& issuer,
                                                        std::span<const X509Revocation> revoked,
                                                        std::uint64_t crl_number,
                                                        std::chrono::sys_seconds this_update,
                                                        std::chrono::sys_seconds next_update,
                                                        std::chrono::sys_seconds now);

}  // namespace jit::broker
