#include "config/policy.hpp"

#include "config/names.hpp"
#include "config/role_reader.hpp"
#include "config/syntax.hpp"
#include "config/yaml_reader.hpp"

#include <algorithm>
#include <system_error>

namespace jit::config {
namespace {

using detail::GroupMembers;
using detail::YamlMap;
using detail::YamlValue;

constexpr std::string_view kNameRule = "1 to 64 of A-Z a-z 0-9 . _ - , not starting with . or -";

void check_entry_name(const YamlMap::Entry& entry, std::string_view what) {
  if (!is_safe_name(entry.name)) {
    entry.value.fail("'" + entry.name + "' is not a valid " + std::string(what) + " name",
                     std::string(what) + " names of " + std::string(kNameRule));
  }
}

// Each group is a list of members, or `{source: idp}` for a group whose members come from the
// identity provider at sign-in (docs/sso.md): it exists with no members here.
GroupMembers read_groups(const YamlValue& value, std::set<std::string>& idp_groups) {
  GroupMembers groups;
  const YamlMap map = value.open_map("a map of group name to members");
  for (const YamlMap::Entry& entry : map.entries()) {
    check_entry_name(entry, "group");
    if (entry.value.is_map()) {
      const YamlMap settings = entry.value.map({"source"});
      const YamlValue& source = settings.require("source", "idp");
      const std::string text = source.string("idp");
      if (text != "idp") {
        source.fail("'" + text + "' is not a group source", "idp (or a list of members)");
      }
      idp_groups.insert(entry.name);
      groups[entry.name] = {};
    } else {
      groups[entry.name] = entry.value.name_list("user");
    }
  }
  return groups;
}

void read_users(const YamlValue& value, std::map<std::string, User>& users) {
  const YamlMap map = value.open_map("a map of user name to settings");
  for (const YamlMap::Entry& entry : map.entries()) {
    check_entry_name(entry, "user");
    const YamlMap settings = entry.value.map({"email"});
    User& user = users[entry.name];
    user.name = entry.name;
    if (const YamlValue* v = settings.find("email")) {
      std::string email = v->string("an email address");
      if (!syntax::is_email(email)) {
        v->fail("'" + email + "' is not an email address", "an address like alice@corp.example");
      }
      user.email = std::move(email);
    }
  }
}

}  // namespace

const User* Policy::find_user(std::string_view name) const {
  const auto it = users.find(std::string(name));
  return it == users.end() ? nullptr : &it->second;
}

const Role* Policy::find_role(std::string_view name) const {
  const auto it = roles.find(std::string(name));
  return it == roles.end() ? nullptr : &it->second;
}

bool Policy::has_user(std::string_view name) const {
  return find_user(name) != nullptr || (idp_members && idp_members->known(name));
}

std::vector<std::string> Policy::groups_of(std::string_view user) const {
  std::vector<std::string> result;
  for (const auto& [group, members] : groups) {
    if (in_group(user, group)) result.push_back(group);
  }
  return result;  // sorted: `groups` is a map
}

bool Policy::in_group(std::string_view user, std::string_view group) const {
  const auto it = groups.find(std::string(group));
  if (it == groups.end()) return false;
  if (idp_groups.contains(it->first)) return idp_members && idp_members->in_group(user, group);
  return std::find(it->second.begin(), it->second.end(), user) != it->second.end();
}

bool Policy::in_any_group(std::string_view user, const std::vector<std::string>& group_list) const {
  return std::any_of(group_list.begin(), group_list.end(),
                     [&](const std::string& group) { return in_group(user, group); });
}

Policy parse_policy(std::string_view yaml, const std::filesystem::path& file,
                    const Limits& limits) {
  const std::string file_name = file.string();
  Policy policy;
  std::error_code ec;
  policy.file = std::filesystem::absolute(file, ec).lexically_normal();
  if (ec) {
    throw ConfigError(file_name, 0, "", "cannot make the path absolute: " + ec.message(),
                      "a current directory that exists");
  }
  const YamlValue root = detail::load_document(yaml, file_name);
  const YamlMap map = root.map({"groups", "users", "roles", "approvals_survive_group_removal"});
  if (const YamlValue* v = map.find("groups")) policy.groups = read_groups(*v, policy.idp_groups);
  if (const YamlValue* v = map.find("approvals_survive_group_removal")) {
    policy.approvals_survive_group_removal = v->boolean();
  }
  for (const auto& [group, members] : policy.groups) {
    for (const std::string& member : members) {
      User& user = policy.users[member];
      user.name = member;
      user.groups.push_back(group);  // groups is ordered, so each user's list comes out sorted
    }
  }
  if (const YamlValue* v = map.find("users")) read_users(*v, policy.users);
  if (const YamlValue* v = map.find("roles")) {
    const YamlMap roles = v->open_map("a map of role name to settings");
    for (const YamlMap::Entry& entry : roles.entries()) {
      check_entry_name(entry, "role");
      policy.roles.emplace(entry.name, detail::read_role(entry.name, entry.value, policy.groups,
                                                         policy.idp_groups, limits));
    }
  }
  return policy;
}

Policy load_policy(const std::filesystem::path& file, const Limits& limits) {
  return parse_policy(detail::read_config_file(file), file, limits);
}

}  // namespace jit::config
