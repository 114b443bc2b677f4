// The policy the tests share, in one place. Users: alice and bob (developers) request the role
// prod-db-read, carol and dave (sre-leads) approve it, erin (oncall) may break glass, frank audits;
// mallory is in no group. Tests that need a policy of another shape (many roles, auto-approval,
// limits) keep their own beside the test.
#pragma once

#include <filesystem>
#include <string>

namespace jit::testing {

struct TestPolicyOptions {
  // Reviews needed before prod-db-read is granted.
  int approvals_required = 2;
  // The role's whole profile: reason and ticket required, the permit-pty extension, a loopback
  // source address, an X.509 profile, and break-glass for oncall (30 min, reviewed within 24 h).
  // Off: the role mints an SSH certificate for principal dbread and nothing else.
  bool full_profile = true;
  // More roles, each line indented by two spaces as a member of `roles:`.
  std::string extra_roles;
};

// The policy YAML.
std::string test_policy(const TestPolicyOptions& options = {});

// Writes the policy YAML to `file` (a broker's policy_file).
void write_test_policy(const std::filesystem::path& file, const TestPolicyOptions& options = {});

// The password tests enrol users with: at least 12 characters and no user's name
// (approvals/password_rules.hpp).
inline constexpr std::string_view kTestPassword = "correct horse battery staple";

}  // namespace jit::testing
