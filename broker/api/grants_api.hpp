// Grants and minting (docs/api.md):
//   GET  /v1/grants?state=S            -> 200 {grants}
//   GET  /v1/grants/{id}               -> 200 grant
//   POST /v1/grants/{id}/revoke        {reason}               -> 200 grant
//   POST /v1/grants/{id}/ssh-cert      {public_key, mfa}      -> 201 {certificate, serial,
//                                                                    valid_before, key_id,
//                                                                    principals}
//   POST /v1/grants/{id}/x509-cert     {csr, mfa}             -> 201 {certificate, chain, serial,
//                                                                    not_after}
#pragma once

namespace jit::broker {

class Router;
class AccessService;
class CertificateService;

void add_grant_routes(Router& router, AccessService& access, CertificateService& certificates);

}  // namespace jit::broker
