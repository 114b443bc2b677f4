// `jit roles` (GET /v1/roles, docs/api.md): the roles the caller may request, approve or
// break-glass into, with their limits; and the explanation `jit request` adds to a refusal that
// names a role the caller cannot request or a duration above the role's maximum.
#pragma once

#include "broker/client/jit_api_client.hpp"

#include <boost/json/array.hpp>

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace jit::broker {

int jit_roles(const JitGlobalOptions& global, std::ostream& out, std::ostream& err);

// The `roles` array of GET /v1/roles; nullopt after printing why not.
std::optional<boost::json::array> fetch_roles(BrokerApi& api);

// The table `jit roles` prints: one line per role (name, what the caller may do, approvals
// required, maximum and default duration, what a request must carry).
[[nodiscard]] std::string roles_table(const boost::json::array& roles);

// After POST /v1/requests was refused with `code`: for unknown_role and not_requestable, the roles
// the caller may request; for duration_above_max, the role's maximum. Prints nothing for other
// codes, and nothing more when the roles cannot be fetched.
void explain_request_refusal(BrokerApi& api, std::string_view code, std::string_view role,
                             std::ostream& err);

}  // namespace jit::broker
