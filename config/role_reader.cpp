#include "config/role_reader.hpp"

#include "ca/ssh_extensions.hpp"

#include "config/syntax.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>

namespace jit::config::detail {
namespace {

using std::chrono::hours;

constexpr std::int64_t kMaxCount = 1000;

std::string group_names(const GroupMembers& groups) {
  std::string out;
  for (const auto& [group, members] : groups) out += (out.empty() ? "" : ", ") + group;
  return out.empty() ? "a group defined under groups: (there are none)" : "one of " + out;
}

// A list of existing group names, each once; an unknown group is reported at its own line.
std::vector<std::string> read_groups(const YamlValue& value, const GroupMembers& groups) {
  std::vector<std::string> out;
  for (const YamlValue& item : value.list("a list of group names")) {
    std::string group = item.name("a group name");
    if (!groups.contains(group))
      item.fail("no group '" + group + "' in groups", group_names(groups));
    if (std::find(out.begin(), out.end(), group) != out.end()) {
      item.fail("'" + group + "' is listed twice", "each group once");
    }
    out.push_back(std::move(group));
  }
  return out;
}

std::set<std::string> members_of(const std::vector<std::string>& group_list,
                                 const GroupMembers& groups) {
  std::set<std::string> users;
  for (const std::string& group : group_list) {
    const auto& members = groups.at(group);
    users.insert(members.begin(), members.end());
  }
  return users;
}

std::string list_text(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

SshRoleSettings read_ssh(const YamlValue& value) {
  const YamlMap map = value.map({"principals", "extensions", "source_address", "force_command"});
  SshRoleSettings ssh;
  const YamlValue& principals = map.require("principals", "a list of SSH principals");
  ssh.principals = principals.name_list("principal");
  if (ssh.principals.empty()) principals.fail("the list is empty", "at least one principal");
  if (const YamlValue* v = map.find("extensions")) {
    std::string known;
    for (std::string_view extension : ca::kSshExtensions) {
      known += (known.empty() ? "" : ", ") + std::string(extension);
    }
    ssh.extensions.clear();
    for (const YamlValue& item : v->list("a list of SSH extensions")) {
      std::string extension = item.string("one of " + known);
      if (std::find(ca::kSshExtensions.begin(), ca::kSshExtensions.end(), extension) ==
          ca::kSshExtensions.end()) {
        item.fail("'" + extension + "' is not an OpenSSH extension we grant", "one of " + known);
      }
      if (std::find(ssh.extensions.begin(), ssh.extensions.end(), extension) !=
          ssh.extensions.end()) {
        item.fail("'" + extension + "' is listed twice", "each extension once");
      }
      ssh.extensions.push_back(std::move(extension));
    }
  }
  if (const YamlValue* v = map.find("source_address")) {
    const std::string expected = "an IP address or CIDR with zero host bits, e.g. 10.0.0.0/8";
    for (const YamlValue& item : v->list("a list of addresses or CIDR blocks")) {
      std::string address = item.string(expected);
      if (!syntax::is_source_address(address)) {
        item.fail("'" + address + "' is not an address or CIDR block", expected);
      }
      ssh.source_address.push_back(std::move(address));
    }
  }
  if (const YamlValue* v = map.find("force_command")) {
    ssh.force_command = v->string("a command line");
  }
  return ssh;
}

// "spiffe://corp.example/user/{user}/role/{role}": a URI scheme, visible ASCII only, and braces
// only around the template variables we fill in.
void check_san_uri(const YamlValue& value, const std::string& uri) {
  const std::string expected = "a URI such as spiffe://corp.example/user/{user}/role/{role}";
  const auto colon = uri.find(':');
  bool scheme_ok = colon != std::string::npos && colon > 0 && colon + 1 < uri.size() &&
                   std::isalpha(static_cast<unsigned char>(uri[0]));
  for (std::size_t i = 0; scheme_ok && i < colon; ++i) {
    const auto c = static_cast<unsigned char>(uri[i]);
    scheme_ok = std::isalnum(c) || c == '+' || c == '-' || c == '.';
  }
  if (!scheme_ok) value.fail("'" + uri + "' does not start with a URI scheme", expected);
  for (std::size_t i = 0; i < uri.size(); ++i) {
    const char c = uri[i];
    if (c <= 0x20 || c >= 0x7f) value.fail("the URI contains a space or non-ASCII byte", expected);
    if (c == '}') value.fail("a '}' without its '{'", expected);
    if (c != '{') continue;
    const auto close = uri.find('}', i);
    if (close == std::string::npos) value.fail("a '{' without its '}'", expected);
    const std::string variable = uri.substr(i + 1, close - i - 1);
    if (variable != "user" && variable != "role") {
      value.fail("unknown template variable {" + variable + "}", "only {user} and {role}");
    }
    i = close;
  }
}

X509RoleSettings read_x509(const std::string& role_name, const YamlValue& value) {
  const YamlMap map = value.map({"san_uri", "organizational_unit"});
  X509RoleSettings x509;
  const YamlValue& san = map.require("san_uri", "a SAN URI template with {user} and {role}");
  x509.san_uri_template = san.string("a SAN URI template with {user} and {role}");
  check_san_uri(san, x509.san_uri_template);
  x509.organizational_unit = role_name;
  if (const YamlValue* v = map.find("organizational_unit")) {
    x509.organizational_unit = v->string("1 to 64 characters");
    if (x509.organizational_unit.size() > 64)
      v->fail("the value is too long", "1 to 64 characters");
  }
  return x509;
}

BreakGlassSettings read_breakglass(const YamlValue& value, const GroupMembers& groups,
                                   const Limits& limits) {
  const YamlMap map = value.map({"allowed", "max_duration", "review_within", "max_active"});
  BreakGlassSettings breakglass;
  const YamlValue& allowed = map.require("allowed", "a list of groups allowed to break glass");
  breakglass.allowed_groups = read_groups(allowed, groups);
  if (breakglass.allowed_groups.empty()) allowed.fail("the list is empty", "at least one group");
  breakglass.max_duration = limits.max_breakglass_duration;
  if (const YamlValue* v = map.find("max_duration")) {
    breakglass.max_duration = v->duration(Seconds{60}, kMaxDuration);
    if (breakglass.max_duration > limits.max_breakglass_duration) {
      v->fail(format_duration(breakglass.max_duration) +
                  " is above limits.max_breakglass_duration " +
                  format_duration(limits.max_breakglass_duration),
              "at most " + format_duration(limits.max_breakglass_duration));
    }
  }
  breakglass.review_within = hours{24};
  if (const YamlValue* v = map.find("review_within")) {
    breakglass.review_within = v->duration(hours{1}, hours{24 * 30});
  }
  if (const YamlValue* v = map.find("max_active")) {
    breakglass.max_active = static_cast<int>(v->integer(1, 10));
  }
  return breakglass;
}

void read_durations(Role& role, const YamlMap& map, const Limits& limits) {
  const YamlValue& max = map.require("max_duration", "the longest grant, e.g. 1h");
  role.max_duration = max.duration(Seconds{60}, kMaxDuration);
  if (role.max_duration > limits.max_grant_duration) {
    max.fail(format_duration(role.max_duration) + " is above limits.max_grant_duration " +
                 format_duration(limits.max_grant_duration),
             "at most " + format_duration(limits.max_grant_duration));
  }
  role.default_duration = std::min(Seconds{hours{1}}, role.max_duration);
  if (const YamlValue* v = map.find("default_duration")) {
    role.default_duration = v->duration(Seconds{60}, kMaxDuration);
    if (role.default_duration > role.max_duration) {
      v->fail(format_duration(role.default_duration) + " is above max_duration " +
                  format_duration(role.max_duration),
              "at most " + format_duration(role.max_duration));
    }
  }
}

// Who may approve: counted in distinct users, with invariant 1 (a requester never approves their
// own request) applied, so that a role that could never be approved, or only by the requester's
// peers, is refused at start-up rather than discovered by a stuck request.
// A role with an approver group from the identity provider (docs/sso.md) is not counted: its
// members are known only at sign-in, so the counts below would refuse a role that works.
void check_approvers(const Role& role, const YamlMap& map, const GroupMembers& groups,
                     const std::set<std::string>& idp_groups) {
  if (std::any_of(role.approvers.begin(), role.approvers.end(),
                  [&](const std::string& group) { return idp_groups.contains(group); })) {
    return;
  }
  const YamlValue* approvers = map.find("approvers");
  const YamlValue* approvals = map.find("approvals_required");
  const YamlValue& count_site = approvals ? *approvals : *approvers;
  const std::set<std::string> approver_users = members_of(role.approvers, groups);
  const std::set<std::string> requester_users = members_of(role.requestable_by, groups);
  const auto needed = static_cast<std::size_t>(role.approvals_required);
  if (needed > approver_users.size()) {
    count_site.fail(std::to_string(needed) + " approvals required but the approver groups have " +
                        std::to_string(approver_users.size()) + " distinct users",
                    "at most the number of users in the approver groups");
  }
  if (!requester_users.empty() && std::includes(requester_users.begin(), requester_users.end(),
                                                approver_users.begin(), approver_users.end())) {
    approvers->fail("every approver (" + list_text(approver_users) +
                        ") may also request this role, so requests would be approved only by "
                        "fellow requesters",
                    "an approver group whose members cannot request the role");
  }
  for (const std::string& requester : requester_users) {
    const std::size_t available = approver_users.size() - approver_users.count(requester);
    if (available < needed) {
      count_site.fail(requester +
                          " may request this role and cannot approve their own request, "
                          "leaving " +
                          std::to_string(available) + " approvers for " + std::to_string(needed) +
                          " approvals",
                      "approvals_required that every requester can reach");
    }
  }
  if (const YamlValue* denials = map.find("denials_required");
      denials && static_cast<std::size_t>(role.denials_required) > approver_users.size()) {
    denials->fail(std::to_string(role.denials_required) +
                      " denials required but the approver groups have " +
                      std::to_string(approver_users.size()) + " distinct users",
                  "at most the number of users in the approver groups");
  }
}

}  // namespace

Role read_role(const std::string& name, const YamlValue& value, const GroupMembers& groups,
               const std::set<std::string>& idp_groups, const Limits& limits) {
  const YamlMap map =
      value.map({"requestable_by", "approvers", "approvals_required", "denials_required",
                 "auto_approve", "max_duration", "default_duration", "require_reason",
                 "require_ticket", "approver_mfa", "ssh", "x509", "breakglass"});
  Role role;
  role.name = name;
  if (const YamlValue* v = map.find("auto_approve")) role.auto_approve = v->boolean();
  const YamlValue* requesters = map.find("requestable_by");
  if (requesters) role.requestable_by = read_groups(*requesters, groups);
  const YamlValue* approvers = map.find("approvers");
  if (approvers) role.approvers = read_groups(*approvers, groups);

  role.approvals_required = role.auto_approve ? 0 : 1;
  if (const YamlValue* v = map.find("approvals_required")) {
    const std::string expected = "at least 1, or 0 together with auto_approve: true";
    role.approvals_required = static_cast<int>(v->integer(-kMaxCount, kMaxCount));
    if (role.approvals_required < 0) v->fail("a negative number of approvals", expected);
    if (role.approvals_required == 0 && !role.auto_approve) {
      v->fail("0 approvals without auto_approve: true", expected);
    }
    if (role.approvals_required > 0 && role.auto_approve) {
      v->fail("auto_approve: true with approvals required", "0 or no approvals_required");
    }
  }
  if (const YamlValue* v = map.find("denials_required")) {
    role.denials_required = static_cast<int>(v->integer(1, kMaxCount));
  }
  read_durations(role, map, limits);
  if (const YamlValue* v = map.find("require_reason")) role.require_reason = v->boolean();
  if (const YamlValue* v = map.find("require_ticket")) role.require_ticket = v->boolean();
  if (const YamlValue* v = map.find("approver_mfa")) {
    const std::string expected = "any or passkey";
    const std::string factor = v->string(expected);
    if (factor != "any" && factor != "passkey") v->fail("'" + factor + "'", expected);
    if (factor == "passkey" && role.auto_approve) {
      v->fail("passkey approvals with auto_approve: true",
              "no approver_mfa on an auto-approved role");
    }
    role.approve_with_passkey = factor == "passkey";
  }
  if (const YamlValue* v = map.find("ssh")) role.ssh = read_ssh(*v);
  if (const YamlValue* v = map.find("x509")) role.x509 = read_x509(name, *v);
  if (const YamlValue* v = map.find("breakglass")) {
    role.breakglass = read_breakglass(*v, groups, limits);
  }
  if (!role.ssh && !role.x509) {
    value.fail("the role grants no certificate", "an ssh section, an x509 section, or both");
  }

  if (role.requestable_by.empty() && !role.breakglass) {
    const std::string expected = "at least one group (or a breakglass section)";
    if (requesters) requesters->fail("the list is empty", expected);
    map.fail_missing("requestable_by", expected);
  }
  if (!role.auto_approve) {
    const std::string expected = "at least one approver group (or auto_approve: true)";
    if (!approvers) map.fail_missing("approvers", expected);
    if (role.approvers.empty()) approvers->fail("the list is empty", expected);
    check_approvers(role, map, groups, idp_groups);
  }
  return role;
}

}  // namespace jit::config::detail
