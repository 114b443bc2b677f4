// Access requests and break-glass (docs/api.md):
//   POST /v1/requests                       {role, reason, ticket, duration, mfa} -> 201 request
//   GET  /v1/requests?state=S               -> 200 {requests}; S may also be review_due
//   GET  /v1/requests/{id}                  -> 200 request
//   GET  /v1/requests/{id}/history          -> 200 {grants}: the requester's latest 10 grants of
//                                              the role, other than this request's own
//   POST /v1/requests/{id}/approve | /deny  {comment, mfa}                        -> 200 request
//   POST /v1/requests/{id}/cancel           {}                                    -> 200 request
//   POST /v1/requests/{id}/review           {comment, mfa}: post-incident review  -> 200 request
//   POST /v1/requests/{id}/webauthn/begin   -> 200 request options bound to the request
//   POST /v1/breakglass                     {role, incident, reason, duration, mfa}
//                                           -> 201 request with its active grant
#pragma once

namespace jit::broker {

class Router;
class AccessService;

void add_request_routes(Router& router, AccessService& access);

}  // namespace jit::broker
