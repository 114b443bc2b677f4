// `jit-broker user list`: every user the broker knows, where each comes from (docs/sso.md,
// "Operating"): `local` (enrolled with a password), `sso:<provider>` (created at an SSO login),
// or `policy` (listed in policy.yaml, never enrolled nor signed in), with the account state and
// the user's groups (idp groups as the last SSO login stored them).
#pragma once

#include "config/broker_config.hpp"

#include <ostream>

namespace jit::broker {

int run_user_list(const config::BrokerConfig& config, std::ostream& out);

}  // namespace jit::broker
