// What the caller may do with each role, for the web page's request form and its queue filter:
//   GET /v1/roles -> 200 {roles: [{name, requestable, approver, breakglass, approvals_required,
//                                  max_duration, default_duration, require_reason,
//                                  require_ticket}]}
// Only roles the caller may request, approve or break-glass into are listed (auditors see no more
// than others here: they read requests, they do not act on roles).
#pragma once

#include "config/policy.hpp"

#include <boost/json/array.hpp>

#include <string_view>

namespace jit::broker {

class Router;
class IdentityService;

// The list above for `user` under `policy`, sorted by role name.
boost::json::array roles_for(const config::Policy& policy, std::string_view user);

void add_role_routes(Router& router, IdentityService& identity);

}  // namespace jit::broker
