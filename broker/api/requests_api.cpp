#include "broker/api/requests_api.hpp"

#include "broker/api/api_support.hpp"
#include "broker/api/auth_api.hpp"
#include "broker/api/list_paging.hpp"
#include "broker/auth/passkeys.hpp"
#include "broker/service/access_service.hpp"
#include "broker/workers/chat_formats.hpp"

#include <boost/json.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;

// Text fields are read up to this size here; their real bounds (reason 1000 bytes, ticket 128,
// ...) are policy's and answer `field_too_long`.
constexpr std::size_t kMaxTextField = 16 * 1024;
constexpr std::size_t kMaxNameField = 256;
// How many earlier grants GET /v1/requests/{id}/history shows a reviewer.
constexpr std::size_t kHistoryLength = 10;

const json::value* mfa_of(const json::object& body) { return body.if_contains("mfa"); }

// Answers one Request with `link`, its address on the approval page: the configured page origin
// (`mfa.webauthn.origin`, which the browser must show for passkeys) + "/#request=ID", as the chat
// messages link it. The page's origin may differ from the URL `jit` reaches the API by (a proxy, a
// port), so the broker names it (docs/api.md "Request").
void answer_request(const Responder& respond, http::status status, Result<json::object> result,
                    std::string_view page_origin) {
  if (result) {
    const auto* id = result->if_contains("id");
    const auto link = id != nullptr && id->is_string()
                          ? request_page_link(page_origin, id->get_string())
                          : std::string();
    if (!link.empty()) (*result)["link"] = link;
  }
  answer_with(respond, status, std::move(result));
}

std::string_view page_origin_of(AccessService& access) {
  return access.identity().settings().webauthn.origin;
}

// The body of a POST that may be empty (cancel): no body, or an empty JSON object.
std::optional<HttpResponse> refuse_unexpected_body(const HttpRequest& request) {
  if (request.body().empty()) return std::nullopt;
  auto body = parse_json_body(request);
  if (!body) return body.error();
  if (auto problem = only_fields(*body, {})) return invalid_input(*problem);
  return std::nullopt;
}

void add_review_route(Router& router, AccessService& access, std::string_view path,
                      std::optional<approvals::ReviewDecision> decision) {
  router.add(
      http::verb::post, path,
      authenticated(access.identity(), [&access, decision](RequestContext&& context,
                                                           Responder respond, Caller caller) {
        auto body = parse_json_body(context.request);
        if (!body) return respond(body.error());
        if (auto problem = only_fields(*body, {"comment", "mfa"})) {
          return respond(invalid_input(*problem));
        }
        std::optional<FieldProblem> problem;
        auto comment = string_field(*body, "comment", kMaxTextField, problem);
        if (problem) return respond(invalid_input(*problem));
        auto answer = [respond, origin = page_origin_of(access)](Result<json::object> result) {
          answer_request(respond, http::status::ok, std::move(result), origin);
        };
        const auto& id = context.params.at("id");
        if (decision) {
          access.reviews().review(caller, id, *decision, comment.value_or(""), mfa_of(*body),
                                  answer);
        } else {
          access.reviews().post_incident_review(caller, id, comment.value_or(""), mfa_of(*body),
                                                answer);
        }
      }));
}

}  // namespace

void add_request_routes(Router& router, AccessService& access) {
  IdentityService& identity = access.identity();

  router.add(
      http::verb::post, "/v1/requests",
      authenticated(identity, [&access](RequestContext&& context, Responder respond,
                                        Caller caller) {
        auto body = parse_json_body(context.request);
        if (!body) return respond(body.error());
        if (auto problem = only_fields(*body, {"role", "reason", "ticket", "duration", "mfa"})) {
          return respond(invalid_input(*problem));
        }
        std::optional<FieldProblem> problem;
        NewRequest ask;
        auto role = string_field(*body, "role", kMaxNameField, problem);
        ask.reason = string_field(*body, "reason", kMaxTextField, problem).value_or("");
        ask.ticket = string_field(*body, "ticket", kMaxTextField, problem).value_or("");
        ask.duration = string_field(*body, "duration", 32, problem);
        if (problem) return respond(invalid_input(*problem));
        if (!role) return respond(invalid_input({"field 'role' is required"}));
        ask.role = std::move(*role);
        access.requests().create_request(
            caller, std::move(ask), mfa_of(*body),
            [respond, origin = page_origin_of(access)](Result<json::object> result) {
              answer_request(respond, http::status::created, std::move(result), origin);
            });
      }));

  router.add(
      http::verb::post, "/v1/breakglass",
      authenticated(identity, [&access](RequestContext&& context, Responder respond,
                                        Caller caller) {
        auto body = parse_json_body(context.request);
        if (!body) return respond(body.error());
        if (auto problem = only_fields(*body, {"role", "incident", "reason", "duration", "mfa"})) {
          return respond(invalid_input(*problem));
        }
        std::optional<FieldProblem> problem;
        NewBreakGlass ask;
        auto role = string_field(*body, "role", kMaxNameField, problem);
        ask.incident = string_field(*body, "incident", kMaxTextField, problem).value_or("");
        ask.reason = string_field(*body, "reason", kMaxTextField, problem).value_or("");
        ask.duration = string_field(*body, "duration", 32, problem);
        if (problem) return respond(invalid_input(*problem));
        if (!role) return respond(invalid_input({"field 'role' is required"}));
        ask.role = std::move(*role);
        access.requests().breakglass(
            caller, std::move(ask), mfa_of(*body),
            [respond, origin = page_origin_of(access)](Result<json::object> result) {
              answer_request(respond, http::status::created, std::move(result), origin);
            });
      }));

  router.add(http::verb::get, "/v1/requests",
             authenticated(identity, [&access](RequestContext&& context, Responder respond,
                                               Caller caller) {
               RequestFilter filter;
               if (context.has_query("state")) {
                 const auto state = context.query("state");
                 if (state == "review_due") {
                   filter.review_due_only = true;
                 } else if (auto parsed = approvals::parse_request_state(state)) {
                   filter.state = *parsed;
                 } else {
                   return respond(error_answer(
                       http::status::bad_request, "invalid_input",
                       "state must be one of pending, active, denied, cancelled, timed_out, "
                       "expired, revoked, review_due"));
                 }
               }
               PageQuery paging;
               if (auto refused = read_page_query(context, "req-", paging)) {
                 return respond(std::move(*refused));
               }
               filter.limit = paging.limit;
               filter.after = std::move(paging.after);
               auto page = access.queries().list_requests(caller, filter);
               respond(json_response(http::status::ok,
                                     page_answer("requests", std::move(page.items), page.next)));
             }));

  router.add(http::verb::get, "/v1/requests/{id}",
             authenticated(
                 identity, [&access](RequestContext&& context, Responder respond, Caller caller) {
                   answer_request(respond, http::status::ok,
                                  access.queries().get_request(caller, context.params.at("id")),
                                  page_origin_of(access));
                 }));

  router.add(
      http::verb::get, "/v1/requests/{id}/history",
      authenticated(
          identity, [&access](RequestContext&& context, Responder respond, Caller caller) {
            auto grants =
                access.queries().requester_history(caller, context.params.at("id"), kHistoryLength);
            if (!grants) return respond(error_answer(grants.error()));
            respond(json_response(http::status::ok, json::object{{"grants", std::move(*grants)}}));
          }));

  add_review_route(router, access, "/v1/requests/{id}/approve", approvals::ReviewDecision::approve);
  add_review_route(router, access, "/v1/requests/{id}/deny", approvals::ReviewDecision::deny);
  add_review_route(router, access, "/v1/requests/{id}/review", std::nullopt);

  router.add(http::verb::post, "/v1/requests/{id}/cancel",
             authenticated(
                 identity, [&access](RequestContext&& context, Responder respond, Caller caller) {
                   if (auto refused = refuse_unexpected_body(context.request)) {
                     return respond(std::move(*refused));
                   }
                   access.requests().cancel(
                       caller, context.params.at("id"),
                       [respond, origin = page_origin_of(access)](Result<json::object> result) {
                         answer_request(respond, http::status::ok, std::move(result), origin);
                       });
                 }));

  router.add(
      http::verb::post, "/v1/requests/{id}/webauthn/begin",
      authenticated(identity, [&access](RequestContext&& context, Responder respond,
                                        Caller caller) {
        // The challenge is bound to the decision it is for (issue 14): an assertion
        // made to approve cannot deny, and the other way round.
        auto body = parse_json_body(context.request);
        if (!body) return respond(body.error());
        if (auto problem = only_fields(*body, {"decision"})) {
          return respond(invalid_input(*problem));
        }
        std::optional<FieldProblem> problem;
        auto text = string_field(*body, "decision", kMaxNameField, problem);
        if (problem) return respond(invalid_input(*problem));
        const auto decision = approvals::parse_approval_decision(text.value_or(std::string()));
        if (!decision) {
          return respond(
              invalid_input({"field 'decision' must be \"approve\", \"deny\" or \"review\""}));
        }
        auto challenge =
            access.reviews().approval_challenge(caller, context.params.at("id"), *decision);
        if (!challenge) return respond(error_answer(challenge.error()));
        respond(json_response(http::status::ok, webauthn_request_options(
                                                    access.identity(), *challenge,
                                                    passkeys_of(access.identity(), caller.user))));
      }));
}

}  // namespace jit::broker
