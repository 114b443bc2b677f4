#include "broker/api/ca_api.hpp"

#include "broker/http/json_response.hpp"
#include "broker/http/router.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_hierarchy.hpp"

namespace jit::broker {

void add_ca_routes(Router& router, const ca::SshCertificateAuthority& ssh_ca,
                   const ca::X509CaHierarchy& x509_ca) {
  // Immutable while the broker runs, so the text is built once.
  router.add(http::verb::get, "/v1/ca/ssh",
             [text = ssh_ca.trusted_ca_keys_text()](RequestContext&&, Responder respond) {
               respond(text_response(http::status::ok, text, "text/plain; charset=utf-8"));
             });
  router.add(http::verb::get, "/v1/ca/x509",
             [chain = x509_ca.chain_pem()](RequestContext&&, Responder respond) {
               respond(text_response(http::status::ok, chain, "application/pem-certificate-chain"));
             });
}

}  // namespace jit::broker
