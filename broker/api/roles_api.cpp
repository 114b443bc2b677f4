#include "broker/api/roles_api.hpp"

#include "broker/api/api_support.hpp"
#include "config/duration.hpp"

#include <boost/json.hpp>

namespace jit::broker {

namespace json = boost::json;

json::array roles_for(const config::Policy& policy, std::string_view user) {
  json::array out;
  for (const auto& [name, role] : policy.roles) {  // std::map: sorted by name
    const bool requestable = policy.in_any_group(user, role.requestable_by);
    const bool approver = policy.in_any_group(user, role.approvers);
    const bool breakglass =
        role.breakglass.has_value() && policy.in_any_group(user, role.breakglass->allowed_groups);
    if (!requestable && !approver && !breakglass) continue;
    // The login principals its SSH certificates carry: `jit ssh USER@HOST` picks the role by them.
    json::array ssh_principals;
    if (role.ssh) {
      for (const auto& principal : role.ssh->principals) ssh_principals.emplace_back(principal);
    }
    out.push_back(json::object{{"name", name},
                               {"requestable", requestable},
                               {"approver", approver},
                               {"breakglass", breakglass},
                               {"approvals_required", role.approvals_required},
                               {"approver_mfa", role.approve_with_passkey ? "passkey" : "any"},
                               {"max_duration", config::format_duration(role.max_duration)},
                               {"default_duration", config::format_duration(role.default_duration)},
                               {"require_reason", role.require_reason},
                               {"require_ticket", role.require_ticket},
                               {"ssh_principals", std::move(ssh_principals)}});
  }
  return out;
}

void add_role_routes(Router& router, IdentityService& identity) {
  router.add(
      http::verb::get, "/v1/roles",
      authenticated(identity, [&identity](RequestContext&&, Responder respond, Caller caller) {
        respond(json_response(http::status::ok,
                              json::object{{"roles", roles_for(identity.policy(), caller.user)}}));
      }));
}

}  // namespace jit::broker
