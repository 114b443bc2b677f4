#include "config/broker_config.hpp"

#include "config_test_support.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jit::config {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using testing::broker_error;
using testing::config_error;
using testing::kBrokerFile;
using testing::kMinimalBroker;

TEST(BrokerConfig, MinimalFileGetsEveryDefault) {
  const BrokerConfig c = parse_broker_config(kMinimalBroker, kBrokerFile);
  EXPECT_EQ(c.file, "/etc/jit/broker.yaml");
  EXPECT_EQ(c.listen, (ListenAddress{"127.0.0.1", 8443}));
  EXPECT_EQ(c.data_dir, "/srv/jit");
  EXPECT_EQ(c.policy_file, "/etc/jit/policy.yaml");
  EXPECT_EQ(c.data_key_file, "/srv/jit/data.key");
  EXPECT_TRUE(c.tls.dev_tls);
  EXPECT_EQ(c.tls.cert_file, "/srv/jit/tls/server.crt");
  EXPECT_EQ(c.tls.key_file, "/srv/jit/tls/server.key");
  EXPECT_FALSE(c.ca.generate_missing);
  ASSERT_EQ(c.ca.ssh_key_files.size(), 1u);
  EXPECT_EQ(c.ca.ssh_key_files[0], "/srv/jit/ca/ssh_ca.key");
  EXPECT_EQ(c.ca.ssh_key_type, "ed25519");
  EXPECT_EQ(c.ca.x509_root_key_file, "/srv/jit/ca/x509_root.key");
  EXPECT_EQ(c.ca.x509_root_cert_file, "/srv/jit/ca/x509_root.crt");
  EXPECT_EQ(c.ca.x509_issuing_key_file, "/srv/jit/ca/x509_issuing.key");
  EXPECT_EQ(c.ca.x509_issuing_cert_file, "/srv/jit/ca/x509_issuing.crt");
  EXPECT_EQ(c.ca.x509_key_type, "ecdsa-p256");
  EXPECT_FALSE(c.ca.passphrase_env);
  EXPECT_FALSE(c.ca.passphrase_file);
  EXPECT_EQ(c.ca.clock_skew, Seconds{30});
  EXPECT_EQ(c.ca.crl_next_update, minutes{5});
  EXPECT_EQ(c.ca.crl_url, "");
  EXPECT_EQ(c.ca.ocsp_url, "");
  EXPECT_EQ(c.limits.max_grant_duration, hours{8});
  EXPECT_EQ(c.limits.max_breakglass_duration, hours{1});
  EXPECT_EQ(c.limits.pending_timeout, hours{1});
  EXPECT_EQ(c.mfa.freshness, minutes{5});
  EXPECT_EQ(c.mfa.totp_max_failures, 5);
  EXPECT_EQ(c.mfa.lockout_base, minutes{1});
  EXPECT_EQ(c.mfa.webauthn.rp_id, "localhost");
  EXPECT_EQ(c.mfa.webauthn.origin, "https://localhost:8443");
  EXPECT_FALSE(c.mfa.webauthn.require_user_verification);
  EXPECT_EQ(c.sessions.idle_timeout, minutes{15});
  EXPECT_EQ(c.sessions.absolute_timeout, hours{8});
  EXPECT_EQ(c.http.max_body_bytes, 65536u);
  EXPECT_EQ(c.http.max_header_bytes, 8192u);
  EXPECT_EQ(c.http.read_timeout, Seconds{10});
  EXPECT_EQ(c.http.threads, 0);
  EXPECT_TRUE(c.webhooks.urls.empty());
  EXPECT_EQ(c.webhooks.timeout, Seconds{5});
  EXPECT_EQ(c.webhooks.max_attempts, 5);
  EXPECT_EQ(c.webhooks.keep_delivered, std::chrono::hours{24 * 30});
}

TEST(BrokerConfig, ReadsEveryKey) {
  const std::string yaml = R"(listen: "[::1]:9443"
data_dir: state
policy_file: /etc/jit/policies/main.yaml
data_key_file: keys/data.key
tls: {dev_tls: false, cert_file: tls/server.crt, key_file: /etc/ssl/jit.key}
ca:
  generate_missing: true
  ssh_key_files: [ca/ssh-2025.key, /keys/ssh-2024.key]
  ssh_key_type: ecdsa-p256
  x509_root_key_file: ca/root.key
  x509_root_cert_file: ca/root.crt
  x509_issuing_key_file: ca/issuing.key
  x509_issuing_cert_file: ca/issuing.crt
  x509_key_type: rsa-3072
  passphrase_file: secrets/ca.pass
  clock_skew: 0s
  crl_next_update: 1h
  crl_url: https://jit.corp.example/v1/ca/x509/crl
  ocsp_url: https://jit.corp.example/v1/ca/x509/ocsp
limits: {max_grant_duration: 12h, max_breakglass_duration: 2h, pending_timeout: 30m}
mfa:
  freshness: 2m
  totp_max_failures: 3
  lockout_base: 30s
  webauthn: {rp_id: corp.example, origin: "https://jit.corp.example", require_user_verification: true}
sessions: {idle_timeout: 10m, absolute_timeout: 1d}
http: {max_body_bytes: 131072, max_header_bytes: 16384, read_timeout: 5s, threads: 4}
webhooks:
  urls: [https://hooks.corp.example/jit, http://127.0.0.1:9000/x]
  timeout: 2s
  max_attempts: 7
  keep_delivered: 7d
)";
  const BrokerConfig c = parse_broker_config(yaml, kBrokerFile);
  EXPECT_EQ(c.listen, (ListenAddress{"::1", 9443}));
  EXPECT_EQ(c.data_dir, "/etc/jit/state");
  EXPECT_EQ(c.policy_file, "/etc/jit/policies/main.yaml");
  EXPECT_EQ(c.data_key_file, "/etc/jit/keys/data.key");
  EXPECT_FALSE(c.tls.dev_tls);
  EXPECT_EQ(c.tls.cert_file, "/etc/jit/tls/server.crt");
  EXPECT_EQ(c.tls.key_file, "/etc/ssl/jit.key");
  EXPECT_TRUE(c.ca.generate_missing);
  ASSERT_EQ(c.ca.ssh_key_files.size(), 2u);
  EXPECT_EQ(c.ca.ssh_key_files[0], "/etc/jit/ca/ssh-2025.key");
  EXPECT_EQ(c.ca.ssh_key_files[1], "/keys/ssh-2024.key");
  EXPECT_EQ(c.ca.ssh_key_type, "ecdsa-p256");
  EXPECT_EQ(c.ca.x509_root_key_file, "/etc/jit/ca/root.key");
  EXPECT_EQ(c.ca.x509_root_cert_file, "/etc/jit/ca/root.crt");
  EXPECT_EQ(c.ca.x509_issuing_key_file, "/etc/jit/ca/issuing.key");
  EXPECT_EQ(c.ca.x509_issuing_cert_file, "/etc/jit/ca/issuing.crt");
  EXPECT_EQ(c.ca.x509_key_type, "rsa-3072");
  EXPECT_FALSE(c.ca.passphrase_env);
  EXPECT_EQ(c.ca.passphrase_file, std::filesystem::path("/etc/jit/secrets/ca.pass"));
  EXPECT_EQ(c.ca.clock_skew, Seconds{0});
  EXPECT_EQ(c.ca.crl_next_update, hours{1});
  EXPECT_EQ(c.ca.crl_url, "https://jit.corp.example/v1/ca/x509/crl");
  EXPECT_EQ(c.ca.ocsp_url, "https://jit.corp.example/v1/ca/x509/ocsp");
  EXPECT_EQ(c.limits.max_grant_duration, hours{12});
  EXPECT_EQ(c.limits.max_breakglass_duration, hours{2});
  EXPECT_EQ(c.limits.pending_timeout, minutes{30});
  EXPECT_EQ(c.mfa.freshness, minutes{2});
  EXPECT_EQ(c.mfa.totp_max_failures, 3);
  EXPECT_EQ(c.mfa.lockout_base, Seconds{30});
  EXPECT_EQ(c.mfa.webauthn.rp_id, "corp.example");
  EXPECT_EQ(c.mfa.webauthn.origin, "https://jit.corp.example");
  EXPECT_TRUE(c.mfa.webauthn.require_user_verification);
  EXPECT_EQ(c.sessions.idle_timeout, minutes{10});
  EXPECT_EQ(c.sessions.absolute_timeout, hours{24});
  EXPECT_EQ(c.http.max_body_bytes, 131072u);
  EXPECT_EQ(c.http.max_header_bytes, 16384u);
  EXPECT_EQ(c.http.read_timeout, Seconds{5});
  EXPECT_EQ(c.http.threads, 4);
  EXPECT_EQ(c.webhooks.urls, (std::vector<std::string>{"https://hooks.corp.example/jit",
                                                       "http://127.0.0.1:9000/x"}));
  EXPECT_EQ(c.webhooks.timeout, Seconds{2});
  EXPECT_EQ(c.webhooks.max_attempts, 7);
  EXPECT_EQ(c.webhooks.keep_delivered, std::chrono::hours{24 * 7});
}

TEST(BrokerConfig, PassphraseFromEnvironmentName) {
  const BrokerConfig c =
      parse_broker_config(kMinimalBroker + "ca: {passphrase_env: JIT_CA_PASS}\n", kBrokerFile);
  EXPECT_EQ(c.ca.passphrase_env, std::optional<std::string>("JIT_CA_PASS"));
  EXPECT_FALSE(c.ca.passphrase_file);
}

TEST(BrokerConfig, RelativePathsResolveAgainstTheFilesFolder) {
  const std::string yaml =
      "data_dir: ../var\n"
      "policy_file: ./policy.yaml\n"
      "tls: {dev_tls: true}\n";
  const BrokerConfig c = parse_broker_config(yaml, "/opt/jit/examples/broker.yaml");
  EXPECT_EQ(c.data_dir, "/opt/jit/var");
  EXPECT_EQ(c.policy_file, "/opt/jit/examples/policy.yaml");
  EXPECT_EQ(c.ca.ssh_key_files.at(0), "/opt/jit/var/ca/ssh_ca.key");
  EXPECT_EQ(c.tls.cert_file, "/opt/jit/var/tls/server.crt");
}

TEST(BrokerConfig, RelativeConfigFileIsMadeAbsolute) {
  const BrokerConfig c = parse_broker_config(kMinimalBroker, "conf/broker.yaml");
  const auto cwd = std::filesystem::current_path();
  EXPECT_EQ(c.file, (cwd / "conf/broker.yaml").lexically_normal());
  EXPECT_EQ(c.policy_file, (cwd / "conf/policy.yaml").lexically_normal());
}

TEST(BrokerConfig, OverridesMoveDataDirDefaultsButKeepExplicitPaths) {
  BrokerConfigOverrides overrides;
  overrides.listen = ListenAddress{"127.0.0.1", 0};
  overrides.data_dir = "/tmp/jit-override";
  const BrokerConfig c = parse_broker_config(kMinimalBroker + "data_key_file: /keys/data.key\n",
                                             kBrokerFile, overrides);
  EXPECT_EQ(c.listen, (ListenAddress{"127.0.0.1", 0}));
  EXPECT_EQ(c.data_dir, "/tmp/jit-override");
  EXPECT_EQ(c.tls.cert_file, "/tmp/jit-override/tls/server.crt");
  EXPECT_EQ(c.ca.ssh_key_files.at(0), "/tmp/jit-override/ca/ssh_ca.key");
  EXPECT_EQ(c.ca.x509_issuing_cert_file, "/tmp/jit-override/ca/x509_issuing.crt");
  EXPECT_EQ(c.data_key_file, "/keys/data.key");
}

TEST(BrokerConfig, WhatNamesFileLineKeyAndExpectation) {
  const auto error = broker_error(kMinimalBroker + "limits:\n  max_grant_duration: 8 hours\n");
  EXPECT_CONFIG_ERROR_AT(error, kBrokerFile, 5, "limits.max_grant_duration");
  EXPECT_STREQ(error->what(),
               "/etc/jit/broker.yaml:5: limits.max_grant_duration: '8 hours' is not a duration "
               "(expected a duration from 1m to 30d, such as 30s, 15m, 8h, 1h30m or 2d)");
}

// Issue 14, B8 and B9: connection caps and caller-driven growth.
TEST(BrokerConfig, ConnectionAndGrowthLimits) {
  const BrokerConfig defaults = parse_broker_config(kMinimalBroker, kBrokerFile);
  EXPECT_EQ(defaults.http.max_connections, 1024u);
  EXPECT_EQ(defaults.http.max_connections_per_source, 64u);
  EXPECT_EQ(defaults.http.first_byte_timeout, Seconds{3});
  EXPECT_EQ(defaults.limits.max_pending_per_user_role, 3u);
  EXPECT_EQ(defaults.limits.max_pending_per_user, 10u);
  EXPECT_EQ(defaults.limits.failure_audit_per_minute, 20u);
  EXPECT_EQ(defaults.limits.logins_per_source_per_minute, 60u);
  EXPECT_EQ(defaults.limits.login_burst_per_source, 20u);
  EXPECT_EQ(defaults.limits.logins_per_minute, 600u);
  EXPECT_EQ(defaults.limits.login_burst, 40u);
  const BrokerConfig c = parse_broker_config(
      kMinimalBroker +
          "http: {max_connections: 200, max_connections_per_source: 16, first_byte_timeout: 2s}\n"
          "limits: {max_pending_per_user_role: 1, max_pending_per_user: 4, "
          "failure_audit_per_minute: 5, logins_per_source_per_minute: 30, "
          "login_burst_per_source: 5, logins_per_minute: 6000, login_burst: 400}\n",
      kBrokerFile);
  EXPECT_EQ(c.http.max_connections, 200u);
  EXPECT_EQ(c.http.max_connections_per_source, 16u);
  EXPECT_EQ(c.http.first_byte_timeout, Seconds{2});
  EXPECT_EQ(c.limits.max_pending_per_user_role, 1u);
  EXPECT_EQ(c.limits.max_pending_per_user, 4u);
  EXPECT_EQ(c.limits.failure_audit_per_minute, 5u);
  EXPECT_EQ(c.limits.logins_per_source_per_minute, 30u);
  EXPECT_EQ(c.limits.login_burst_per_source, 5u);
  EXPECT_EQ(c.limits.logins_per_minute, 6000u);
  EXPECT_EQ(c.limits.login_burst, 400u);
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "limits:\n  login_burst: 0\n"), kBrokerFile,
                         5, "limits.login_burst");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "http:\n  max_connections: 0\n"),
                         kBrokerFile, 5, "http.max_connections");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "http:\n  first_byte_timeout: 0s\n"),
                         kBrokerFile, 5, "http.first_byte_timeout");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "limits:\n  max_pending_per_user: 0\n"),
                         kBrokerFile, 5, "limits.max_pending_per_user");
}

}  // namespace
}  // namespace jit::config
