// One test per class of policy.yaml error, each asserting file, 1-based line and dotted key.
#include "config/policy.hpp"

#include "config_test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace jit::config {
namespace {

using testing::config_error;
using testing::kPolicyFile;

// Lines 1-7; a role's own lines start at line 8.
const std::string kHead =
    "groups:\n"
    "  developers: [alice, bob]\n"
    "  sre-leads: [carol, dave]\n"
    "  oncall: [erin]\n"
    "  auditors: [frank]\n"
    "roles:\n"
    "  db:\n";

// The lines of a valid role, at lines 8 to 12.
const std::vector<std::string> kRole = {
    "requestable_by: [developers]",  // 8
    "approvers: [sre-leads]",        // 9
    "approvals_required: 2",         // 10
    "max_duration: 1h",              // 11
    "ssh: {principals: [dbread]}",   // 12
};

std::string role_yaml(const std::vector<std::string>& lines) {
  std::string yaml = kHead;
  for (const std::string& line : lines) yaml += "    " + line + "\n";
  return yaml;
}

// kRole with line `line` (8..12) replaced, or with extra lines appended after line 12.
std::string role_with(int line, const std::string& text) {
  std::vector<std::string> lines = kRole;
  lines[static_cast<std::size_t>(line - 8)] = text;
  return role_yaml(lines);
}
std::string role_plus(const std::vector<std::string>& extra) {
  std::vector<std::string> lines = kRole;
  lines.insert(lines.end(), extra.begin(), extra.end());
  return role_yaml(lines);
}

std::optional<ConfigError> policy_error(const std::string& yaml, const Limits& limits = {}) {
  return config_error([&] { (void)parse_policy(yaml, kPolicyFile, limits); });
}

TEST(PolicyErrors, BaseRoleIsValid) {
  EXPECT_NO_THROW((void)parse_policy(role_yaml(kRole), kPolicyFile, Limits{}));
}

TEST(PolicyErrors, MissingFileAndEmptyFileAreNamed) {
  const auto missing =
      config_error([] { (void)load_policy("/nonexistent/jit/policy.yaml", Limits{}); });
  EXPECT_CONFIG_ERROR_AT(missing, "/nonexistent/jit/policy.yaml", 0, "");
  EXPECT_CONFIG_ERROR_AT(policy_error(""), kPolicyFile, 1, "");
  EXPECT_CONFIG_ERROR_AT(policy_error("[alice, bob]\n"), kPolicyFile, 1, "");
}

TEST(PolicyErrors, ApproverMfaIsAnyOrPasskeyAndNeedsApprovers) {
  EXPECT_TRUE(parse_policy(role_plus({"approver_mfa: passkey"}), kPolicyFile, Limits{})
                  .roles.at("db")
                  .approve_with_passkey);
  EXPECT_FALSE(parse_policy(role_plus({"approver_mfa: any"}), kPolicyFile, Limits{})
                   .roles.at("db")
                   .approve_with_passkey);
  EXPECT_FALSE(
      parse_policy(role_yaml(kRole), kPolicyFile, Limits{}).roles.at("db").approve_with_passkey);
  EXPECT_CONFIG_ERROR_AT(policy_error(role_plus({"approver_mfa: totp"})), kPolicyFile, 13,
                         "roles.db.approver_mfa");
  EXPECT_CONFIG_ERROR_AT(
      policy_error(
          role_yaml({"requestable_by: [developers]", "auto_approve: true", "approver_mfa: passkey",
                     "max_duration: 1h", "ssh: {principals: [dbread]}"})),
      kPolicyFile, 10, "roles.db.approver_mfa");
}

TEST(PolicyErrors, UnknownKeysAreRefused) {
  const auto top = policy_error("groups: {}\nrole: {}\n");
  EXPECT_CONFIG_ERROR_AT(top, kPolicyFile, 2, "role");
  EXPECT_EQ(top->message(), "unknown key, did you mean 'roles'?");
  const auto in_role = policy_error(role_with(11, "max_durations: 1h"));
  EXPECT_CONFIG_ERROR_AT(in_role, kPolicyFile, 11, "roles.db.max_durations");
  EXPECT_EQ(in_role->message(), "unknown key, did you mean 'max_duration'?");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_with(12, "ssh: {principals: [dbread], principal: x}")),
                         kPolicyFile, 12, "roles.db.ssh.principal");
  EXPECT_CONFIG_ERROR_AT(policy_error("users:\n  alice: {mail: a@corp.example}\n"), kPolicyFile, 2,
                         "users.alice.mail");
}

TEST(PolicyErrors, DuplicatesAreRefused) {
  const auto role = policy_error(role_yaml(kRole) + "  db:\n    max_duration: 1h\n");
  EXPECT_CONFIG_ERROR_AT(role, kPolicyFile, 13, "roles.db");
  EXPECT_EQ(role->message(), "the key is given twice");
  EXPECT_CONFIG_ERROR_AT(policy_error("groups:\n  a: [x]\n  b: [y]\n  a: [z]\n"), kPolicyFile, 4,
                         "groups.a");
  const auto member = policy_error("groups:\n  a: [x, y,\n      x]\n");
  EXPECT_CONFIG_ERROR_AT(member, kPolicyFile, 3, "groups.a[2]");
  EXPECT_EQ(member->message(), "'x' is listed twice");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_with(9, "approvers: [sre-leads, sre-leads]")),
                         kPolicyFile, 9, "roles.db.approvers[1]");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_with(12, "ssh: {principals: [a, b, a]}")), kPolicyFile,
                         12, "roles.db.ssh.principals[2]");
  EXPECT_CONFIG_ERROR_AT(
      policy_error(role_with(12, "ssh: {principals: [a], extensions: [permit-pty, permit-pty]}")),
      kPolicyFile, 12, "roles.db.ssh.extensions[1]");
}

TEST(PolicyErrors, UnsafeNamesAreRefused) {
  const auto member = policy_error("groups:\n  developers: [alice, \"bob smith\"]\n");
  EXPECT_CONFIG_ERROR_AT(member, kPolicyFile, 2, "groups.developers[1]");
  EXPECT_EQ(member->message(), "'bob smith' is not a valid name");
  EXPECT_CONFIG_ERROR_AT(policy_error("groups:\n  ok: []\n  \"dev ops\": [alice]\n"), kPolicyFile,
                         3, "groups.dev ops");
  EXPECT_CONFIG_ERROR_AT(policy_error("groups:\n  \"" + std::string(65, 'g') + "\": []\n"),
                         kPolicyFile, 2, "groups." + std::string(65, 'g'));
  EXPECT_CONFIG_ERROR_AT(policy_error("users:\n  \"alice;drop\": {}\n"), kPolicyFile, 2,
                         "users.alice;drop");
  EXPECT_CONFIG_ERROR_AT(policy_error("users:\n  -alice: {}\n"), kPolicyFile, 2, "users.-alice");
  EXPECT_CONFIG_ERROR_AT(policy_error("roles:\n  \"db/read\": {}\n"), kPolicyFile, 2,
                         "roles.db/read");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_with(12, "ssh: {principals: [\"db,root\"]}")),
                         kPolicyFile, 12, "roles.db.ssh.principals[0]");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_with(8, "requestable_by: [\"dev'\"]")), kPolicyFile, 8,
                         "roles.db.requestable_by[0]");
}

TEST(PolicyErrors, BadUserSettingsAreRefused) {
  const auto email = policy_error("users:\n  alice:\n    email: alice at corp\n");
  EXPECT_CONFIG_ERROR_AT(email, kPolicyFile, 3, "users.alice.email");
  EXPECT_CONFIG_ERROR_AT(policy_error("users:\n  alice: alice@corp.example\n"), kPolicyFile, 2,
                         "users.alice");
}

TEST(PolicyErrors, ZeroApprovalsNeedAutoApprove) {
  const auto error = policy_error(role_with(10, "approvals_required: 0"));
  EXPECT_CONFIG_ERROR_AT(error, kPolicyFile, 10, "roles.db.approvals_required");
  EXPECT_EQ(error->message(), "0 approvals without auto_approve: true");
  EXPECT_CONFIG_ERROR_AT(
      policy_error(role_with(10, "approvals_required: 0") + "    auto_approve: false\n"),
      kPolicyFile, 10, "roles.db.approvals_required");
  // With the flag it is accepted.
  const Policy ok = parse_policy(
      role_with(10, "approvals_required: 0") + "    auto_approve: true\n", kPolicyFile, Limits{});
  EXPECT_EQ(ok.roles.at("db").approvals_required, 0);
}

TEST(PolicyErrors, NegativeApprovalsAreRefused) {
  const auto error = policy_error(role_with(10, "approvals_required: -1"));
  EXPECT_CONFIG_ERROR_AT(error, kPolicyFile, 10, "roles.db.approvals_required");
  EXPECT_EQ(error->message(), "a negative number of approvals");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_with(10, "approvals_required: two")), kPolicyFile, 10,
                         "roles.db.approvals_required");
}

TEST(PolicyErrors, AutoApproveWithApprovalsIsContradictory) {
  EXPECT_CONFIG_ERROR_AT(policy_error(role_plus({"auto_approve: true"})), kPolicyFile, 10,
                         "roles.db.approvals_required");
}

TEST(PolicyErrors, DurationAboveGlobalCapIsRefused) {
  const auto error = policy_error(role_with(11, "max_duration: 9h"));
  EXPECT_CONFIG_ERROR_AT(error, kPolicyFile, 11, "roles.db.max_duration");
  EXPECT_EQ(error->message(), "9h is above limits.max_grant_duration 8h");
  Limits tight;
  tight.max_grant_duration = std::chrono::minutes{30};
  EXPECT_CONFIG_ERROR_AT(policy_error(role_yaml(kRole), tight), kPolicyFile, 11,
                         "roles.db.max_duration");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_with(11, "max_duration: forever")), kPolicyFile, 11,
                         "roles.db.max_duration");
}

TEST(PolicyErrors, DefaultDurationAboveMaxIsRefused) {
  const auto error = policy_error(role_plus({"default_duration: 2h"}));
  EXPECT_CONFIG_ERROR_AT(error, kPolicyFile, 13, "roles.db.default_duration");
  EXPECT_EQ(error->message(), "2h is above max_duration 1h");
}

TEST(PolicyErrors, BreakGlassAboveCapIsRefused) {
  const auto error =
      policy_error(role_plus({"breakglass:", "  allowed: [oncall]", "  max_duration: 2h"}));
  EXPECT_CONFIG_ERROR_AT(error, kPolicyFile, 15, "roles.db.breakglass.max_duration");
  EXPECT_EQ(error->message(), "2h is above limits.max_breakglass_duration 1h");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_plus({"breakglass: {allowed: []}"})), kPolicyFile, 13,
                         "roles.db.breakglass.allowed");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_plus({"breakglass: {max_duration: 30m}"})), kPolicyFile,
                         13, "roles.db.breakglass.allowed");
}

TEST(PolicyErrors, BreakGlassMaxActiveOutsideOneToTenIsRefused) {
  EXPECT_CONFIG_ERROR_AT(
      policy_error(role_plus({"breakglass:", "  allowed: [oncall]", "  max_active: 0"})),
      kPolicyFile, 15, "roles.db.breakglass.max_active");
  EXPECT_CONFIG_ERROR_AT(
      policy_error(role_plus({"breakglass:", "  allowed: [oncall]", "  max_active: 11"})),
      kPolicyFile, 15, "roles.db.breakglass.max_active");
}

TEST(PolicyErrors, UnknownGroupsAreRefused) {
  const auto approver = policy_error(role_with(9, "approvers: [sre-lead]"));
  EXPECT_CONFIG_ERROR_AT(approver, kPolicyFile, 9, "roles.db.approvers[0]");
  EXPECT_EQ(approver->message(), "no group 'sre-lead' in groups");
  EXPECT_EQ(approver->expected(), "one of auditors, developers, oncall, sre-leads");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_with(8, "requestable_by: [developers, devs]")),
                         kPolicyFile, 8, "roles.db.requestable_by[1]");
  EXPECT_CONFIG_ERROR_AT(
      policy_error(role_plus({"breakglass:", "  allowed:", "    - oncall", "    - on-call"})),
      kPolicyFile, 16, "roles.db.breakglass.allowed[1]");
}

TEST(PolicyErrors, MoreApprovalsThanDistinctApproversAreRefused) {
  const auto error = policy_error(role_with(10, "approvals_required: 3"));
  EXPECT_CONFIG_ERROR_AT(error, kPolicyFile, 10, "roles.db.approvals_required");
  EXPECT_EQ(error->message(), "3 approvals required but the approver groups have 2 distinct users");
  // Two groups, but carol is in both: still two distinct approvers.
  const std::string overlap =
      "groups:\n  devs: [alice]\n  leads: [carol, dave]\n  dba: [carol]\n"
      "roles:\n  db:\n    requestable_by: [devs]\n    approvers: [leads, dba]\n"
      "    approvals_required: 3\n    max_duration: 1h\n    ssh: {principals: [x]}\n";
  EXPECT_CONFIG_ERROR_AT(policy_error(overlap), kPolicyFile, 9, "roles.db.approvals_required");
  // An empty approver group and the default of one approval.
  const std::string empty =
      "groups:\n  devs: [alice]\n  leads: []\n"
      "roles:\n  db:\n    requestable_by: [devs]\n    approvers: [leads]\n"
      "    max_duration: 1h\n    ssh: {principals: [x]}\n";
  EXPECT_CONFIG_ERROR_AT(policy_error(empty), kPolicyFile, 7, "roles.db.approvers");
}

TEST(PolicyErrors, RoleApprovedOnlyByItsRequestersIsRefused) {
  const auto error = policy_error(role_with(8, "requestable_by: [developers, sre-leads]"));
  EXPECT_CONFIG_ERROR_AT(error, kPolicyFile, 9, "roles.db.approvers");
  EXPECT_EQ(error->message(),
            "every approver (carol, dave) may also request this role, so requests would be "
            "approved only by fellow requesters");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_yaml({"requestable_by: [sre-leads]",
                                                 "approvers: [sre-leads]", "approvals_required: 1",
                                                 "max_duration: 1h", "ssh: {principals: [x]}"})),
                         kPolicyFile, 9, "roles.db.approvers");
}

TEST(PolicyErrors, RequesterWhoCannotSelfApproveMustStillReachTheThreshold) {
  // erin may request and approve; on her own request only carol and dave remain for 3 approvals.
  const auto error = policy_error(
      role_yaml({"requestable_by: [developers, oncall]", "approvers: [sre-leads, oncall]",
                 "approvals_required: 3", "max_duration: 1h", "ssh: {principals: [x]}"}));
  EXPECT_CONFIG_ERROR_AT(error, kPolicyFile, 10, "roles.db.approvals_required");
  EXPECT_EQ(error->message(),
            "erin may request this role and cannot approve their own request, leaving 2 "
            "approvers for 3 approvals");
}

TEST(PolicyErrors, MissingApproversOrRequestersAreRefused) {
  EXPECT_CONFIG_ERROR_AT(policy_error(role_yaml({"requestable_by: [developers]", "max_duration: 1h",
                                                 "ssh: {principals: [x]}"})),
                         kPolicyFile, 7, "roles.db.approvers");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_with(9, "approvers: []")), kPolicyFile, 9,
                         "roles.db.approvers");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_yaml({"approvers: [sre-leads]", "max_duration: 1h",
                                                 "ssh: {principals: [x]}"})),
                         kPolicyFile, 7, "roles.db.requestable_by");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_with(8, "requestable_by: []")), kPolicyFile, 8,
                         "roles.db.requestable_by");
  EXPECT_CONFIG_ERROR_AT(
      policy_error(role_yaml(
          {"requestable_by: [developers]", "approvers: [sre-leads]", "ssh: {principals: [x]}"})),
      kPolicyFile, 7, "roles.db.max_duration");
}

TEST(PolicyErrors, DenialsAboveApproversAreRefused) {
  EXPECT_CONFIG_ERROR_AT(policy_error(role_plus({"denials_required: 3"})), kPolicyFile, 13,
                         "roles.db.denials_required");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_plus({"denials_required: 0"})), kPolicyFile, 13,
                         "roles.db.denials_required");
}

TEST(PolicyErrors, UnknownSshExtensionIsRefused) {
  const auto error = policy_error(role_with(12,
                                            "ssh: {principals: [dbread], extensions: [permit-pty, "
                                            "permit-everything]}"));
  EXPECT_CONFIG_ERROR_AT(error, kPolicyFile, 12, "roles.db.ssh.extensions[1]");
  EXPECT_EQ(error->message(), "'permit-everything' is not an OpenSSH extension we grant");
  EXPECT_CONFIG_ERROR_AT(
      policy_error(role_with(12, "ssh: {principals: [dbread], extensions: [Permit-PTY]}")),
      kPolicyFile, 12, "roles.db.ssh.extensions[0]");
}

TEST(PolicyErrors, BadSourceAddressIsRefused) {
  for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "example.com", "10.0.0.0/8,::1", "*"}) {
    const auto error = policy_error(role_with(12, "ssh:") + "      principals: [dbread]\n" +
                                    "      source_address:\n        - 127.0.0.0/8\n" +
                                    "        - \"" + bad + "\"\n");
    EXPECT_CONFIG_ERROR_AT(error, kPolicyFile, 16, "roles.db.ssh.source_address[1]");
    EXPECT_EQ(error->message(), "'" + std::string(bad) + "' is not an address or CIDR block");
  }
}

TEST(PolicyErrors, EmptyPrincipalsAreRefused) {
  EXPECT_CONFIG_ERROR_AT(policy_error(role_with(12, "ssh: {principals: []}")), kPolicyFile, 12,
                         "roles.db.ssh.principals");
  EXPECT_CONFIG_ERROR_AT(policy_error(role_with(12, "ssh: {extensions: [permit-pty]}")),
                         kPolicyFile, 12, "roles.db.ssh.principals");
}

TEST(PolicyErrors, BadSanUriTemplatesAreRefused) {
  const auto unknown_variable =
      policy_error(role_plus({"x509:", "  san_uri: \"spiffe://corp.example/{usr}\""}));
  EXPECT_CONFIG_ERROR_AT(unknown_variable, kPolicyFile, 14, "roles.db.x509.san_uri");
  EXPECT_EQ(unknown_variable->message(), "unknown template variable {usr}");
  for (const char* bad :
       {"spiffe://corp/{user", "spiffe://corp/user}", "spiffe://corp/{}", "corp.example/{user}",
        "spiffe://corp/{user} x", "://x", "spiffe://corp/{{user}}"}) {
    SCOPED_TRACE(bad);
    EXPECT_CONFIG_ERROR_AT(
        policy_error(role_plus({"x509:", "  san_uri: \"" + std::string(bad) + "\""})), kPolicyFile,
        14, "roles.db.x509.san_uri");
  }
  EXPECT_CONFIG_ERROR_AT(policy_error(role_plus({"x509: {organizational_unit: DB}"})), kPolicyFile,
                         13, "roles.db.x509.san_uri");
  EXPECT_CONFIG_ERROR_AT(
      policy_error(role_plus({"x509: {san_uri: \"urn:x:{user}\", organizational_unit: " +
                              std::string(65, 'o') + "}"})),
      kPolicyFile, 13, "roles.db.x509.organizational_unit");
}

TEST(PolicyErrors, RoleWithoutCertificatesIsRefused) {
  std::vector<std::string> lines(kRole.begin(), kRole.end() - 1);
  const auto error = policy_error(role_yaml(lines));
  EXPECT_CONFIG_ERROR_AT(error, kPolicyFile, 7, "roles.db");
  EXPECT_EQ(error->message(), "the role grants no certificate");
}

}  // namespace
}  // namespace jit::config
