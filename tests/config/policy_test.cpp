#include "config/policy.hpp"

#include "config_test_support.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jit::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using testing::kPolicyFile;

TEST(Policy, ReadsGroupsUsersAndRoles) {
  const std::string yaml = R"(groups:
  developers: [alice, bob]
  sre-leads: [carol, dave]
  oncall: [erin, alice]
  auditors: [frank]
users:
  alice: {email: alice@corp.example}
  zed: {email: zed@corp.example}
  quiet: {}
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    approvals_required: 2
    max_duration: 1h
    require_reason: true
    require_ticket: true
    ssh:
      principals: [dbread, dbread2]
      source_address: [127.0.0.0/8, ::1/128]
      force_command: /usr/bin/psql
    x509: {san_uri: "spiffe://corp.example/user/{user}/role/{role}", organizational_unit: DB}
    breakglass: {allowed: [oncall], max_duration: 30m, review_within: 48h, max_active: 3}
)";
  const Policy policy = parse_policy(yaml, kPolicyFile, Limits{});
  EXPECT_EQ(policy.file, kPolicyFile);
  ASSERT_EQ(policy.groups.size(), 4u);
  EXPECT_EQ(policy.groups.at("oncall"), (std::vector<std::string>{"erin", "alice"}));

  ASSERT_EQ(policy.users.size(), 8u);  // six group members plus zed and quiet
  const User* alice = policy.find_user("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->groups, (std::vector<std::string>{"developers", "oncall"}));
  EXPECT_EQ(alice->email, std::optional<std::string>("alice@corp.example"));
  EXPECT_FALSE(policy.find_user("bob")->email);
  const User* zed = policy.find_user("zed");
  ASSERT_NE(zed, nullptr);
  EXPECT_TRUE(zed->groups.empty());
  EXPECT_EQ(zed->email, std::optional<std::string>("zed@corp.example"));
  EXPECT_TRUE(policy.find_user("quiet")->groups.empty());
  EXPECT_EQ(policy.find_user("mallory"), nullptr);

  EXPECT_TRUE(policy.in_group("carol", "sre-leads"));
  EXPECT_FALSE(policy.in_group("alice", "sre-leads"));
  EXPECT_FALSE(policy.in_group("alice", "no-such-group"));
  EXPECT_TRUE(policy.in_any_group("alice", {"sre-leads", "oncall"}));
  EXPECT_FALSE(policy.in_any_group("frank", {"sre-leads", "oncall"}));
  EXPECT_FALSE(policy.in_any_group("frank", {}));

  ASSERT_EQ(policy.find_role("nope"), nullptr);
  const Role* role = policy.find_role("prod-db-read");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ(role->name, "prod-db-read");
  EXPECT_EQ(role->requestable_by, (std::vector<std::string>{"developers"}));
  EXPECT_EQ(role->approvers, (std::vector<std::string>{"sre-leads"}));
  EXPECT_EQ(role->approvals_required, 2);
  EXPECT_EQ(role->denials_required, 1);
  EXPECT_FALSE(role->auto_approve);
  EXPECT_EQ(role->max_duration, hours{1});
  EXPECT_EQ(role->default_duration, hours{1});
  EXPECT_TRUE(role->require_reason);
  EXPECT_TRUE(role->require_ticket);
  ASSERT_TRUE(role->ssh);
  EXPECT_EQ(role->ssh->principals, (std::vector<std::string>{"dbread", "dbread2"}));
  EXPECT_EQ(role->ssh->extensions, (std::vector<std::string>{"permit-pty"}));
  EXPECT_EQ(role->ssh->source_address, (std::vector<std::string>{"127.0.0.0/8", "::1/128"}));
  EXPECT_EQ(role->ssh->force_command, std::optional<std::string>("/usr/bin/psql"));
  ASSERT_TRUE(role->x509);
  EXPECT_EQ(role->x509->san_uri_template, "spiffe://corp.example/user/{user}/role/{role}");
  EXPECT_EQ(role->x509->organizational_unit, "DB");
  ASSERT_TRUE(role->breakglass);
  EXPECT_EQ(role->breakglass->allowed_groups, (std::vector<std::string>{"oncall"}));
  EXPECT_EQ(role->breakglass->max_duration, minutes{30});
  EXPECT_EQ(role->breakglass->review_within, hours{48});
  EXPECT_EQ(role->breakglass->max_active, 3);
}

TEST(Policy, AppliesRoleDefaults) {
  const std::string yaml = R"(groups: {devs: [alice], leads: [carol], oncall: [erin]}
roles:
  short:
    requestable_by: [devs]
    approvers: [leads]
    max_duration: 30m
    ssh: {principals: [app], extensions: []}
  auto:
    requestable_by: [devs]
    auto_approve: true
    max_duration: 2h
    x509: {san_uri: "urn:jit:{user}"}
  glass-only:
    approvers: [leads]
    max_duration: 1h
    ssh: {principals: [root]}
    breakglass: {allowed: [oncall]}
)";
  Limits limits;
  limits.max_breakglass_duration = minutes{45};
  const Policy policy = parse_policy(yaml, kPolicyFile, limits);
  const Role& short_role = policy.roles.at("short");
  EXPECT_EQ(short_role.approvals_required, 1);
  EXPECT_EQ(short_role.default_duration, minutes{30});  // min(1h, max)
  EXPECT_TRUE(short_role.ssh->extensions.empty());
  EXPECT_FALSE(short_role.require_reason);
  EXPECT_FALSE(short_role.require_ticket);
  const Role& auto_role = policy.roles.at("auto");
  EXPECT_TRUE(auto_role.auto_approve);
  EXPECT_EQ(auto_role.approvals_required, 0);
  EXPECT_TRUE(auto_role.approvers.empty());
  EXPECT_EQ(auto_role.default_duration, hours{1});
  EXPECT_EQ(auto_role.x509->organizational_unit, "auto");  // the role name
  EXPECT_FALSE(auto_role.ssh);
  const Role& glass = policy.roles.at("glass-only");
  EXPECT_TRUE(glass.requestable_by.empty());
  EXPECT_EQ(glass.breakglass->max_duration, minutes{45});  // limits.max_breakglass_duration
  EXPECT_EQ(glass.breakglass->review_within, hours{24});
  EXPECT_EQ(glass.breakglass->max_active, 1);  // one break-glass grant of a role at a time
}

TEST(Policy, EmptyMapsAreAValidPolicy) {
  const Policy policy = parse_policy("groups: {}\nroles: {}\n", kPolicyFile, Limits{});
  EXPECT_TRUE(policy.groups.empty());
  EXPECT_TRUE(policy.users.empty());
  EXPECT_TRUE(policy.roles.empty());
}

}  // namespace
}  // namespace jit::config
