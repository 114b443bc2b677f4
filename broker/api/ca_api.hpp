// Public CA material, served without authentication (relying parties fetch it):
//   GET /v1/ca/ssh    text/plain: one public key line per trusted SSH CA key, for TrustedUserCAKeys
//   GET /v1/ca/x509   application/pem-certificate-chain: the issuing CA then the root
#pragma once

namespace jit::ca {
class SshCertificateAuthority;
class X509CaHierarchy;
}  // namespace jit::ca

namespace jit::broker {

class Router;

void add_ca_routes(Router& router, const ca::SshCertificateAuthority& ssh_ca,
                   const ca::X509CaHierarchy& x509_ca);

}  // namespace jit::broker
