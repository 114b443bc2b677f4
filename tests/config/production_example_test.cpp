// examples/production/: the config loads as shipped, generates nothing (no dev TLS, no CA minted
// on start), keeps its CA keys encrypted and /metrics guarded, and keeps every safety limit at its
// default; its policy loads under those limits and every role is reviewed by others.
#include "config/broker_config.hpp"
#include "config/policy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

namespace jit::config {
namespace {

const std::filesystem::path kProduction =
    std::filesystem::path(JIT_SOURCE_DIR) / "examples" / "production";

TEST(ProductionExample, BrokerYamlGeneratesNothingAndKeepsEverySafetyDefault) {
  const BrokerConfig c = load_broker_config(kProduction / "broker.yaml");
  const BrokerConfig defaults;
  EXPECT_FALSE(c.tls.dev_tls);
  EXPECT_EQ(c.tls.cert_file, "/etc/jitbroker/tls/server.crt");
  EXPECT_EQ(c.tls.key_file, "/etc/jitbroker/tls/server.key");
  EXPECT_FALSE(c.ca.generate_missing);
  EXPECT_EQ(c.data_dir, "/var/lib/jitbroker");
  EXPECT_EQ(c.data_key_file, "/var/lib/jitbroker/data.key");
  // Every CA key path lies outside the data folder, so a database backup never carries them.
  for (const auto& key :
       {c.ca.ssh_key_files.at(0), c.ca.x509_root_key_file, c.ca.x509_issuing_key_file}) {
    EXPECT_EQ(key.parent_path(), "/etc/jitbroker/ca") << key;
  }
  ASSERT_TRUE(c.ca.passphrase_file);  // encrypted CA keys
  EXPECT_FALSE(c.ca.passphrase_env);
  ASSERT_TRUE(c.metrics.bearer_token_file);  // /metrics is not open
  EXPECT_TRUE(c.mfa.webauthn.require_user_verification);
  EXPECT_EQ(c.mfa.webauthn.rp_id, "jit.corp.example");
  EXPECT_EQ(c.mfa.webauthn.origin, "https://jit.corp.example:8443");
  EXPECT_EQ(c.ca.crl_url, "https://jit.corp.example:8443/v1/ca/x509/crl");

  EXPECT_EQ(c.limits.max_grant_duration, defaults.limits.max_grant_duration);
  EXPECT_EQ(c.limits.max_breakglass_duration, defaults.limits.max_breakglass_duration);
  EXPECT_EQ(c.limits.pending_timeout, defaults.limits.pending_timeout);
  EXPECT_EQ(c.limits.max_pending_per_user_role, defaults.limits.max_pending_per_user_role);
  EXPECT_EQ(c.limits.max_pending_per_user, defaults.limits.max_pending_per_user);
  EXPECT_EQ(c.limits.failure_audit_per_minute, defaults.limits.failure_audit_per_minute);
  EXPECT_EQ(c.mfa.freshness, defaults.mfa.freshness);
  EXPECT_EQ(c.mfa.totp_max_failures, defaults.mfa.totp_max_failures);
  EXPECT_EQ(c.mfa.lockout_base, defaults.mfa.lockout_base);
  EXPECT_EQ(c.sessions.idle_timeout, defaults.sessions.idle_timeout);
  EXPECT_EQ(c.sessions.absolute_timeout, defaults.sessions.absolute_timeout);
  EXPECT_EQ(c.http.max_body_bytes, defaults.http.max_body_bytes);
  EXPECT_EQ(c.http.max_header_bytes, defaults.http.max_header_bytes);
  EXPECT_EQ(c.http.read_timeout, defaults.http.read_timeout);
  EXPECT_EQ(c.http.max_connections, defaults.http.max_connections);
  EXPECT_EQ(c.http.max_connections_per_source, defaults.http.max_connections_per_source);
  EXPECT_EQ(c.http.first_byte_timeout, defaults.http.first_byte_timeout);
  EXPECT_EQ(c.ca.clock_skew, defaults.ca.clock_skew);
  EXPECT_EQ(c.ca.crl_next_update, defaults.ca.crl_next_update);
}

TEST(ProductionExample, PolicyLoadsUnderTheLimitsAndEveryRoleIsReviewedByOthers) {
  const BrokerConfig c = load_broker_config(kProduction / "broker.yaml");
  const Policy p = load_policy(kProduction / "policy.yaml", c.limits);
  ASSERT_FALSE(p.roles.empty());
  for (const auto& [name, role] : p.roles) {
    EXPECT_FALSE(role.auto_approve) << name;
    EXPECT_GE(role.approvals_required, 2) << name;
    EXPECT_TRUE(role.require_reason) << name;
    EXPECT_TRUE(role.require_ticket) << name;
    for (const auto& group : role.approvers) {
      EXPECT_EQ(std::find(role.requestable_by.begin(), role.requestable_by.end(), group),
                role.requestable_by.end())
          << name << ": requesters approve themselves through " << group;
    }
    if (role.breakglass) {
      EXPECT_LE(role.breakglass->review_within, std::chrono::hours{24}) << name;
    }
  }
  EXPECT_TRUE(p.in_group("frank", kAuditorsGroup));
}

}  // namespace
}  // namespace jit::config
