// policy.yaml as typed data: groups, users and the roles they may request. Loading refuses unsafe
// policy (see load_policy), so the rule code in approvals/ may rely on every invariant listed here.
#pragma once

#include "config/broker_config.hpp"
#include "config/config_error.hpp"
#include "config/duration.hpp"
#include "config/idp_membership.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace jit::config {

// The group whose members may read the audit log (GET /v1/audit, /v1/audit/verify).
inline constexpr std::string_view kAuditorsGroup = "auditors";

struct SshRoleSettings {
  std::vector<std::string> principals;                // at least one, each a safe name
  std::vector<std::string> extensions{"permit-pty"};  // from ca::kSshExtensions
  std::vector<std::string> source_address;            // CIDR or address; empty: no restriction
  std::optional<std::string> force_command;
};

struct X509RoleSettings {
  // A URI with the template variables {user} and {role} (and no others), e.g.
  // "spiffe://corp.example/user/{user}/role/{role}". Names are safe, so substitution is plain.
  std::string san_uri_template;
  std::string organizational_unit;  // 1..64 characters, no control characters
};

struct BreakGlassSettings {
  std::vector<std::string> allowed_groups;  // at least one existing group
  Seconds max_duration;                     // default and cap: limits.max_breakglass_duration
  Seconds review_within;                    // post-incident review deadline, default 24h
  int max_active = 1;  // active break-glass grants of this role one responder may hold, 1..10
};

struct Role {
  std::string name;
  std::vector<std::string> requestable_by;  // groups; empty only for a break-glass-only role
  std::vector<std::string> approvers;       // groups; empty only with auto_approve
  int approvals_required = 1;               // 0 exactly when auto_approve
  int denials_required = 1;
  bool auto_approve = false;
  Seconds max_duration{0};      // required; <= limits.max_grant_duration
  Seconds default_duration{0};  // default min(1h, max_duration)
  bool require_reason = false;
  bool require_ticket = false;
  // `approver_mfa: passkey`: an approval counts only when its factor is a WebAuthn assertion,
  // never a TOTP code (approvals/approval_factor.hpp). Default `any`.
  bool approve_with_passkey = false;
  std::optional<SshRoleSettings> ssh;  // at least one of ssh and x509
  std::optional<X509RoleSettings> x509;
  std::optional<BreakGlassSettings> breakglass;
};

struct User {
  std::string name;
  std::vector<std::string> groups;  // sorted
  std::optional<std::string> email;
};

struct Policy {
  std::filesystem::path file;                              // absolute
  std::map<std::string, std::vector<std::string>> groups;  // group -> members (file order)
  // Groups declared `source: idp` (docs/sso.md): their members come only from identity provider
  // tokens at SSO login, never from this file, so `groups` holds them with no members.
  std::set<std::string> idp_groups;
  // false (default): an approval counts only while its approver is still in an approver group at
  // decision time; true: an approval given stays counted after the approver leaves the group.
  bool approvals_survive_group_removal = false;
  std::map<std::string, User> users;  // every member of any group, plus `users:` entries
  std::map<std::string, Role> roles;
  // The idp groups' members, filled by the broker at start-up and at each SSO login; copies of
  // the policy share it.
  std::shared_ptr<IdpMembership> idp_members = std::make_shared<IdpMembership>();

  [[nodiscard]] const User* find_user(std::string_view name) const;
  // In `users` or signed in through SSO before: every user the broker knows (an SSO user need
  // not be listed in the policy file).
  [[nodiscard]] bool has_user(std::string_view name) const;
  // The user's groups: the static ones from the file and the idp ones from the last SSO login.
  [[nodiscard]] std::vector<std::string> groups_of(std::string_view user) const;
  [[nodiscard]] const Role* find_role(std::string_view name) const;
  // For an idp group, membership is the user's groups at their last SSO login (idp_members).
  [[nodiscard]] bool in_group(std::string_view user, std::string_view group) const;
  [[nodiscard]] bool in_any_group(std::string_view user,
                                  const std::vector<std::string>& groups) const;
};

// Throw ConfigError. Besides shape and type errors, these refuse a policy where a role:
// - has approvals_required 0 without auto_approve: true, a negative count, or auto_approve with
//   approvals_required above 0;
// - names a group (requestable_by, approvers, breakglass.allowed) that does not exist;
// - needs more approvals than there are distinct users in its approver groups;
// - has approvers who are all also its requesters (a request could only be approved by peers of
//   the requester), or a requester who, not approving their own request, could never collect
//   enough approvals;
// - has max_duration above limits.max_grant_duration, default_duration above max_duration, or a
//   break-glass max_duration above limits.max_breakglass_duration;
// - has an unknown SSH extension, a bad source_address, an unknown {variable} in san_uri, or
//   neither ssh nor x509.
// A role with an approver group declared `source: idp` skips the counts of approvers (its members
// are known only at sign-in).
[[nodiscard]] Policy load_policy(const std::filesystem::path& file, const Limits& limits);
[[nodiscard]] Policy parse_policy(std::string_view yaml, const std::filesystem::path& file,
                                  const Limits& limits);

// Throws ConfigError naming broker.yaml, line and key when a provider's group_map sends an IdP
// group to a policy group that is not declared `source: idp` (or does not exist). The broker calls
// it wherever it has both files: at start-up and after each policy reload.
void check_sso_against_policy(const BrokerConfig& config, const Policy& policy);

}  // namespace jit::config
