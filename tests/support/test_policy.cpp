#include "tests/support/test_policy.hpp"

#include "tests/support/files.hpp"

namespace jit::testing {

std::string test_policy(const TestPolicyOptions& options) {
  std::string yaml =
      "groups:\n"
      "  developers: [alice, bob]\n"
      "  sre-leads: [carol, dave]\n"
      "  oncall: [erin]\n"
      "  auditors: [frank]\n"
      "roles:\n"
      "  prod-db-read:\n"
      "    requestable_by: [developers]\n"
      "    approvers: [sre-leads]\n"
      "    approvals_required: " +
      std::to_string(options.approvals_required) +
      "\n"
      "    max_duration: 1h\n";
  if (options.full_profile) {
    yaml +=
        "    require_reason: true\n"
        "    require_ticket: true\n"
        "    ssh: { principals: [dbread], extensions: [permit-pty],"
        " source_address: [127.0.0.0/8, \"::1/128\"] }\n"
        "    x509: { san_uri: \"spiffe://corp.example/user/{user}/role/{role}\","
        " organizational_unit: prod-db-read }\n"
        "    breakglass: { allowed: [oncall], max_duration: 30m, review_within: 24h }\n";
  } else {
    yaml += "    ssh: { principals: [dbread] }\n";
  }
  return yaml + options.extra_roles;
}

void write_test_policy(const std::filesystem::path& file, const TestPolicyOptions& options) {
  write_text(file, test_policy(options));
}

}  // namespace jit::testing
