// Minting for a grant (POST /v1/grants/{id}/ssh-cert and /x509-cert). One write job allocates the
// serial, re-checks the grant and records the certificate with its audit record; the certificate
// is handed out only after that job is durable, so none leaves the broker untraced, and a grant
// revoked a moment earlier can never mint (docs/architecture.md invariants 2, 3). Both kinds are
// signed before their row is written (SSH: before the job, on the HTTP thread; X.509: inside it,
// its recorded fingerprint covers the signature): a signing failure (a CA key on a PKCS#11 token
// that went away) records nothing, so no row names a certificate that was never signed.
#pragma once

#include "broker/service/access_service.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_hierarchy.hpp"

#include <atomic>
#include <functional>
#include <mutex>

#include <string>

namespace jit::broker {

struct MintSettings {
  std::chrono::seconds clock_skew{30};  // certificates start this much before now
  std::string crl_url;   // CRL distribution point in X.509 certificates; may be empty
  std::string ocsp_url;  // OCSP responder in X.509 certificates' AIA; may be empty
  // Where the answer after a durable commit runs; default: inline, on the store's writer thread.
  // The broker posts it to its HTTP threads so the writer's next batch never waits for it.
  std::function<void(std::function<void()>)> after_commit;
};

class CertificateService {
 public:
  CertificateService(Store& store, IdentityService& identity,
                     const ca::SshCertificateAuthority& ssh_ca, const ca::X509CaHierarchy& x509_ca,
                     MintSettings settings);

  // 201 material: {certificate, serial, valid_before, key_id, principals}.
  void mint_ssh(const Caller& caller, const std::string& grant_id, const std::string& public_key,
                const boost::json::value* mfa, AccessService::Answer done);
  // 201 material: {certificate, chain, serial, not_after}.
  void mint_x509(const Caller& caller, const std::string& grant_id, const std::string& csr,
                 const boost::json::value* mfa, AccessService::Answer done);

 private:
  // What the write job hands back: the answer, sent once the job is durable.
  struct Recorded {
    boost::json::object answer;
  };
  // Records one certificate for the grant inside the write job; its error rolls the job back.
  // `mfa` is the audit form of the factor.
  using Issue = std::function<Result<Recorded>(WriteContext&, const GrantRow&, std::int64_t now,
                                               boost::json::value mfa)>;
  // Runs after the factor is checked and before the write job (SSH signing); its error ends the
  // call with nothing written. May be empty.
  using Prepare = std::function<Result<void>(const GrantRow&, std::int64_t now)>;
  // Checks the grant (before the MFA is checked), checks presence, then runs `issue` in a write
  // job after checking the grant again there and spending the factor.
  void mint(const Caller& caller, const std::string& grant_id, approvals::CertificateKind kind,
            const boost::json::value* mfa, Prepare prepare, Issue issue,
            AccessService::Answer done);
  // The grant as the caller may see it, checked for minting now (before the MFA is spent).
  Result<GrantRow> grant_for_mint(const Caller& caller, const std::string& grant_id,
                                  approvals::CertificateKind kind);

  Store& store_;
  IdentityService& identity_;
  const ca::SshCertificateAuthority& ssh_ca_;
  const ca::X509CaHierarchy& x509_ca_;
  MintSettings settings_;
  std::string ssh_ca_fingerprint_;
  std::string x509_ca_fingerprint_;
  // The serial of the next SSH certificate to sign. SQLite (one broker per file): next_ssh_serial_.
  // PostgreSQL (brokers may share the database): from a block of 64 serials this broker reserved
  // in the `ssh_serial` counter.
  Result<std::uint64_t> take_ssh_serial();

  std::atomic<std::uint64_t> next_ssh_serial_{1};  // SQLite: seeded from the counters table
  std::mutex serial_block_mutex_;
  std::uint64_t serial_block_next_ = 0;  // PostgreSQL: the reserved block [next, end)
  std::uint64_t serial_block_end_ = 0;
};

}  // namespace jit::broker
