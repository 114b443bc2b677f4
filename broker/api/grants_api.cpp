#include "broker/api/grants_api.hpp"

#include "broker/api/api_support.hpp"
#include "broker/api/list_paging.hpp"
#include "broker/service/access_service.hpp"
#include "broker/service/certificate_service.hpp"
#include "config/names.hpp"

#include <boost/json.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;

// An OpenSSH public key line is at most a few KiB (RSA 16384 bits); a CSR PEM likewise.
constexpr std::size_t kMaxKeyMaterial = 32 * 1024;

using Mint = void (CertificateService::*)(const Caller&, const std::string&, const std::string&,
                                          const json::value*, AccessService::Answer);

void add_mint_route(Router& router, AccessService& access, CertificateService& certificates,
                    std::string_view path, std::string_view field, Mint mint) {
  router.add(http::verb::post, path,
             authenticated(access.identity(),
                           [&certificates, field = std::string(field), mint](
                               RequestContext&& context, Responder respond, Caller caller) {
                             auto body = parse_json_body(context.request);
                             if (!body) return respond(body.error());
                             if (auto problem = only_fields(*body, {field, "mfa"})) {
                               return respond(invalid_input(*problem));
                             }
                             std::optional<FieldProblem> problem;
                             auto material = string_field(*body, field, kMaxKeyMaterial, problem);
                             if (problem) return respond(invalid_input(*problem));
                             if (!material) {
                               return respond(invalid_input({"field '" + field + "' is required"}));
                             }
                             (certificates.*mint)(
                                 caller, context.params.at("id"), *material,
                                 body->if_contains("mfa"), [respond](Result<json::object> result) {
                                   answer_with(respond, http::status::created, std::move(result));
                                 });
                           }));
}

}  // namespace

void add_grant_routes(Router& router, AccessService& access, CertificateService& certificates) {
  IdentityService& identity = access.identity();

  router.add(http::verb::get, "/v1/grants",
             authenticated(identity, [&access](RequestContext&& context, Responder respond,
                                               Caller caller) {
               GrantFilter filter;
               if (context.has_query("state")) {
                 auto state = approvals::parse_grant_state(context.query("state"));
                 if (!state) {
                   return respond(error_answer(http::status::bad_request, "invalid_input",
                                               "state must be one of active, expired, revoked"));
                 }
                 filter.state = *state;
               }
               if (context.has_query("approved_by")) {
                 // Within what the caller may see anyway: a reviewer's decisions are in each
                 // request's reviews.
                 auto reviewer = context.query("approved_by");
                 if (!config::is_safe_name(reviewer)) {
                   return respond(error_answer(http::status::bad_request, "invalid_input",
                                               "approved_by must be a user name"));
                 }
                 filter.approved_by = std::move(reviewer);
               }
               PageQuery paging;
               if (auto refused = read_page_query(context, "grt-", paging)) {
                 return respond(std::move(*refused));
               }
               filter.limit = paging.limit;
               filter.after = std::move(paging.after);
               auto page = access.queries().list_grants(caller, filter);
               respond(json_response(http::status::ok,
                                     page_answer("grants", std::move(page.items), page.next)));
             }));

  router.add(http::verb::get, "/v1/grants/{id}",
             authenticated(
                 identity, [&access](RequestContext&& context, Responder respond, Caller caller) {
                   answer_with(respond, http::status::ok,
                               access.queries().get_grant(caller, context.params.at("id")));
                 }));

  router.add(http::verb::post, "/v1/grants/{id}/revoke",
             authenticated(identity,
                           [&access](RequestContext&& context, Responder respond, Caller caller) {
                             auto body = parse_json_body(context.request);
                             if (!body) return respond(body.error());
                             if (auto problem = only_fields(*body, {"reason", "mfa"})) {
                               return respond(invalid_input(*problem));
                             }
                             std::optional<FieldProblem> problem;
                             auto reason = string_field(*body, "reason", 16 * 1024, problem);
                             if (problem) return respond(invalid_input(*problem));
                             access.grants().revoke(
                                 caller, context.params.at("id"), reason.value_or(""),
                                 body->if_contains("mfa"), [respond](Result<json::object> result) {
                                   answer_with(respond, http::status::ok, std::move(result));
                                 });
                           }));

  add_mint_route(router, access, certificates, "/v1/grants/{id}/ssh-cert", "public_key",
                 &CertificateService::mint_ssh);
  add_mint_route(router, access, certificates, "/v1/grants/{id}/x509-cert", "csr",
                 &CertificateService::mint_x509);
}

}  // namespace jit::broker
