// Internal to config/: reads one role of policy.yaml and refuses it when it is unsafe or could
// never work (see load_policy in policy.hpp for the list).
#pragma once

#include "config/policy.hpp"
#include "config/yaml_reader.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace jit::config::detail {

using GroupMembers = std::map<std::string, std::vector<std::string>>;

// `idp_groups`: the groups declared `source: idp`, whose members only sign-in reveals.
[[nodiscard]] Role read_role(const std::string& name, const YamlValue& value,
                             const GroupMembers& groups, const std::set<std::string>& idp_groups,
                             const Limits& limits);

}  // namespace jit::config::detail
