// Minting for a grant (POST /v1/grants/{id}/ssh-cert and /x509-cert). The certificate is signed
// inside the write job that allocates its serial, re-checks the grant and records it with its
// audit record, so no certificate leaves the broker unless it is durable and traceable, and a
// grant revoked a moment earlier can never mint (DESIGN.md invariants 2 and 3).
#pragma once

#include "broker/service/access_service.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_hierarchy.hpp"

#include <string>

namespace jit::broker {

struct MintSettings {
  std::chrono::seconds clock_skew{30};  // certificates start this much before now
  std::string crl_url;  // CRL distribution point in X.509 certificates; may be empty
};

class CertificateService {
 public:
  CertificateService(AccessService& access, const ca::SshCertificateAuthority& ssh_ca,
                     const ca::X509CaHierarchy& x509_ca, MintSettings settings);

  // 201 material: {certificate, serial, valid_before, key_id, principals}.
  void mint_ssh(const Caller& caller, const std::string& grant_id, const std::string& public_key,
                const boost::json::value* mfa, AccessService::Answer done);
  // 201 material: {certificate, chain, serial, not_after}.
  void mint_x509(const Caller& caller, const std::string& grant_id, const std::string& csr,
                 const boost::json::value* mfa, AccessService::Answer done);

 private:
  // The grant as the caller may see it, checked for minting now (before the MFA is spent).
  Result<GrantRow> grant_for_mint(const Caller& caller, const std::string& grant_id,
                                  approvals::CertificateKind kind);

  AccessService& access_;
  const ca::SshCertificateAuthority& ssh_ca_;
  const ca::X509CaHierarchy& x509_ca_;
  MintSettings settings_;
  std::string ssh_ca_fingerprint_;
  std::string x509_ca_fingerprint_;
};

}  // namespace jit::broker
