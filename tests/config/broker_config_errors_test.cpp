// One test per class of broker.yaml error, each asserting file, 1-based line and dotted key.
#include "config/broker_config.hpp"

#include "config_test_support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace jit::config {
namespace {

using testing::broker_error;
using testing::config_error;
using testing::kBrokerFile;
using testing::kMinimalBroker;

TEST(BrokerConfigErrors, MissingFileIsNamed) {
  const auto error = config_error([] { (void)load_broker_config("/nonexistent/jit/broker.yaml"); });
  EXPECT_CONFIG_ERROR_AT(error, "/nonexistent/jit/broker.yaml", 0, "");
  EXPECT_EQ(error->message(), "cannot read the file: no such file");
}

TEST(BrokerConfigErrors, FolderInsteadOfFileIsNamed) {
  const auto error = config_error([] { (void)load_broker_config("/tmp"); });
  EXPECT_CONFIG_ERROR_AT(error, "/tmp", 0, "");
  EXPECT_EQ(error->message(), "cannot read the file: not a regular file");
}

TEST(BrokerConfigErrors, EmptyFileNamesLineOne) {
  EXPECT_CONFIG_ERROR_AT(broker_error(""), kBrokerFile, 1, "");
  EXPECT_CONFIG_ERROR_AT(broker_error("# only a comment\n\n"), kBrokerFile, 1, "");
  EXPECT_CONFIG_ERROR_AT(broker_error("---\n...\n"), kBrokerFile, 1, "");
  EXPECT_EQ(broker_error("")->message(), "the file holds no settings");
  // yaml-cpp 0.7 LoadAll loops forever on a stray comma; we must not.
  EXPECT_CONFIG_ERROR_AT(broker_error(",\n"), kBrokerFile, 1, "");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "---\n,\n"), kBrokerFile, 4, "");
}

TEST(BrokerConfigErrors, NonMapFileNamesLineOne) {
  const auto list = broker_error("\n- data_dir\n- tls\n");
  EXPECT_CONFIG_ERROR_AT(list, kBrokerFile, 1, "");
  EXPECT_EQ(list->message(), "the file holds a list");
  const auto scalar = broker_error("hello\n");
  EXPECT_CONFIG_ERROR_AT(scalar, kBrokerFile, 1, "");
  EXPECT_EQ(scalar->message(), "the file holds 'hello'");
}

TEST(BrokerConfigErrors, YamlSyntaxErrorNamesItsLine) {
  const auto error = broker_error(kMinimalBroker + "listen: host: 127.0.0.1\n");
  EXPECT_CONFIG_ERROR_AT(error, kBrokerFile, 4, "");
  EXPECT_EQ(error->message(), "invalid YAML: illegal map value");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "listen: *address\n"), kBrokerFile, 4, "");
  // An unclosed flow list is noticed where the parser gives up: the end of the file.
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "webhooks: {urls: [\n"), kBrokerFile, 5, "");
}

TEST(BrokerConfigErrors, SecondDocumentIsRefused) {
  // Reported where the second document starts: its "---" line.
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "---\nlisten: 127.0.0.1:1\n"), kBrokerFile,
                         4, "");
}

TEST(BrokerConfigErrors, UnknownTopLevelKeySuggestsTheClosest) {
  const auto error = broker_error(kMinimalBroker + "lisen: 127.0.0.1:8443\n");
  EXPECT_CONFIG_ERROR_AT(error, kBrokerFile, 4, "lisen");
  EXPECT_EQ(error->message(), "unknown key, did you mean 'listen'?");
  EXPECT_EQ(error->expected(),
            "one of listen, data_dir, policy_file, data_key_file, tls, ca, limits, mfa, "
            "sessions, http, webhooks, metrics, audit_stream, sso, store, log_format");
}

TEST(BrokerConfigErrors, UnknownNestedKeyIsNamedByItsPath) {
  const auto error = broker_error(kMinimalBroker + "mfa:\n  webauthn:\n    rpid: corp.example\n");
  EXPECT_CONFIG_ERROR_AT(error, kBrokerFile, 6, "mfa.webauthn.rpid");
  EXPECT_EQ(error->message(), "unknown key, did you mean 'rp_id'?");
  const auto far = broker_error(kMinimalBroker + "http:\n  completely_different: 1\n");
  EXPECT_CONFIG_ERROR_AT(far, kBrokerFile, 5, "http.completely_different");
  EXPECT_EQ(far->message(), "unknown key");
}

TEST(BrokerConfigErrors, DuplicateKeyIsRefused) {
  const auto top = broker_error(kMinimalBroker + "data_dir: /elsewhere\n");
  EXPECT_CONFIG_ERROR_AT(top, kBrokerFile, 4, "data_dir");
  EXPECT_EQ(top->message(), "the key is given twice");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "limits:\n  pending_timeout: 1h\n"
                                                       "  pending_timeout: 2h\n"),
                         kBrokerFile, 6, "limits.pending_timeout");
  EXPECT_CONFIG_ERROR_AT(broker_error("data_dir: /srv\npolicy_file: p\n"
                                      "tls: {dev_tls: true, dev_tls: false}\n"),
                         kBrokerFile, 3, "tls.dev_tls");
}

TEST(BrokerConfigErrors, WrongTypesAreRefused) {
  const auto list_for_map = broker_error(kMinimalBroker + "limits: [8h]\n");
  EXPECT_CONFIG_ERROR_AT(list_for_map, kBrokerFile, 4, "limits");
  EXPECT_EQ(list_for_map->message(), "got a list");
  const auto yes_for_bool = broker_error(kMinimalBroker + "ca:\n  generate_missing: yes\n");
  EXPECT_CONFIG_ERROR_AT(yes_for_bool, kBrokerFile, 5, "ca.generate_missing");
  EXPECT_EQ(yes_for_bool->expected(), "true or false");
  const auto map_for_string = broker_error(kMinimalBroker + "listen: {host: 127.0.0.1}\n");
  EXPECT_CONFIG_ERROR_AT(map_for_string, kBrokerFile, 4, "listen");
  EXPECT_EQ(map_for_string->message(), "got a map");
  const auto nothing = broker_error("data_dir:\npolicy_file: p\ntls: {dev_tls: true}\n");
  EXPECT_CONFIG_ERROR_AT(nothing, kBrokerFile, 1, "data_dir");
  EXPECT_EQ(nothing->message(), "got nothing");
  const auto empty = broker_error("data_dir: ''\npolicy_file: p\ntls: {dev_tls: true}\n");
  EXPECT_CONFIG_ERROR_AT(empty, kBrokerFile, 1, "data_dir");
  EXPECT_EQ(empty->message(), "the value is empty");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "webhooks:\n  urls: https://x.example\n"),
                         kBrokerFile, 5, "webhooks.urls");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "? [a, b]\n: c\n"), kBrokerFile, 4, "");
  const auto control = broker_error(kMinimalBroker + "listen: \"127.0.0.1:\\x1b[2J\"\n");
  EXPECT_CONFIG_ERROR_AT(control, kBrokerFile, 4, "listen");
  EXPECT_EQ(control->message(), "the value contains a control character");
  const auto name = broker_error(kMinimalBroker + "http: {threads: \"1\\n2\"}\n");
  EXPECT_CONFIG_ERROR_AT(name, kBrokerFile, 4, "http.threads");
  EXPECT_EQ(name->message(), "'1\\x0a2' is not a whole number");
}

TEST(BrokerConfigErrors, BadDurationsAreRefused) {
  const auto junk = broker_error(kMinimalBroker + "sessions:\n  idle_timeout: 15 minutes\n");
  EXPECT_CONFIG_ERROR_AT(junk, kBrokerFile, 5, "sessions.idle_timeout");
  EXPECT_EQ(junk->message(), "'15 minutes' is not a duration");
  const auto negative = broker_error(kMinimalBroker + "limits: {pending_timeout: -1h}\n");
  EXPECT_CONFIG_ERROR_AT(negative, kBrokerFile, 4, "limits.pending_timeout");
  const auto zero = broker_error(kMinimalBroker + "mfa:\n  freshness: 0s\n");
  EXPECT_CONFIG_ERROR_AT(zero, kBrokerFile, 5, "mfa.freshness");
  EXPECT_EQ(zero->message(), "0s is out of range");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "limits:\n\n  max_grant_duration: 31d\n"),
                         kBrokerFile, 6, "limits.max_grant_duration");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "ca: {clock_skew: 11m}\n"), kBrokerFile, 4,
                         "ca.clock_skew");
}

TEST(BrokerConfigErrors, BadPortsAreRefused) {
  const auto high = broker_error(kMinimalBroker + "listen: 127.0.0.1:65536\n");
  EXPECT_CONFIG_ERROR_AT(high, kBrokerFile, 4, "listen");
  EXPECT_EQ(high->message(), "port '65536' is not a number from 0 to 65535");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "listen: 127.0.0.1:https\n"), kBrokerFile, 4,
                         "listen");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "listen: 127.0.0.1:-8443\n"), kBrokerFile, 4,
                         "listen");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "listen: 127.0.0.1\n"), kBrokerFile, 4,
                         "listen");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "listen: localhost:8443\n"), kBrokerFile, 4,
                         "listen");
}

TEST(BrokerConfigErrors, BothPassphraseSourcesAreRefused) {
  const auto error = broker_error(kMinimalBroker +
                                  "ca:\n  passphrase_env: JIT_CA_PASS\n"
                                  "  passphrase_file: /etc/jit/ca.pass\n");
  EXPECT_CONFIG_ERROR_AT(error, kBrokerFile, 6, "ca.passphrase_file");
  EXPECT_EQ(error->message(), "passphrase_env and passphrase_file are both set");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "ca:\n  passphrase_env: JIT-CA\n"),
                         kBrokerFile, 5, "ca.passphrase_env");
}

TEST(BrokerConfigErrors, ProductionTlsNeedsCertificateAndKey) {
  const auto no_cert = broker_error(
      "data_dir: /srv/jit\npolicy_file: p.yaml\ntls:\n  dev_tls: false\n  key_file: k.pem\n");
  EXPECT_CONFIG_ERROR_AT(no_cert, kBrokerFile, 3, "tls.cert_file");
  EXPECT_EQ(no_cert->message(), "a required key is missing");
  EXPECT_CONFIG_ERROR_AT(broker_error("data_dir: /srv/jit\npolicy_file: p.yaml\n"
                                      "tls: {cert_file: c.pem}\n"),
                         kBrokerFile, 3, "tls.key_file");
  EXPECT_CONFIG_ERROR_AT(broker_error("data_dir: /srv/jit\npolicy_file: p.yaml\n"), kBrokerFile, 1,
                         "tls");
}

TEST(BrokerConfigErrors, MissingRequiredKeysAreNamed) {
  EXPECT_CONFIG_ERROR_AT(broker_error("policy_file: p.yaml\ntls: {dev_tls: true}\n"), kBrokerFile,
                         1, "data_dir");
  EXPECT_CONFIG_ERROR_AT(broker_error("data_dir: /srv\ntls: {dev_tls: true}\n"), kBrokerFile, 1,
                         "policy_file");
}

TEST(BrokerConfigErrors, BadNumbersAreRefused) {
  const auto negative = broker_error(kMinimalBroker + "http:\n  threads: -1\n");
  EXPECT_CONFIG_ERROR_AT(negative, kBrokerFile, 5, "http.threads");
  EXPECT_EQ(negative->message(), "-1 is out of range");
  EXPECT_EQ(negative->expected(), "a whole number from 0 to 256");
  for (const char* text : {"1.5", "0x10", "+4", "4 threads", "1e2", "99999999999999999999"}) {
    const auto error = broker_error(kMinimalBroker + "http:\n  threads: " + text + "\n");
    EXPECT_CONFIG_ERROR_AT(error, kBrokerFile, 5, "http.threads");
    EXPECT_EQ(error->message(), "'" + std::string(text) + "' is not a whole number");
  }
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "http: {max_body_bytes: 100}\n"),
                         kBrokerFile, 4, "http.max_body_bytes");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "mfa: {totp_max_failures: 0}\n"),
                         kBrokerFile, 4, "mfa.totp_max_failures");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "webhooks: {max_attempts: 101}\n"),
                         kBrokerFile, 4, "webhooks.max_attempts");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "webhooks: {keep_delivered: 30m}\n"),
                         kBrokerFile, 4, "webhooks.keep_delivered");
}

TEST(BrokerConfigErrors, UnsupportedKeyTypesAreRefused) {
  const auto error = broker_error(kMinimalBroker + "ca:\n  ssh_key_type: rsa\n");
  EXPECT_CONFIG_ERROR_AT(error, kBrokerFile, 5, "ca.ssh_key_type");
  EXPECT_EQ(error->expected(), "one of ed25519 ecdsa-p256");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "ca:\n  x509_key_type: rsa-1024\n"),
                         kBrokerFile, 5, "ca.x509_key_type");
}

TEST(BrokerConfigErrors, EmptySshKeyListIsRefused) {
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "ca:\n  ssh_key_files: []\n"), kBrokerFile,
                         5, "ca.ssh_key_files");
  EXPECT_CONFIG_ERROR_AT(
      broker_error(kMinimalBroker + "ca:\n  ssh_key_files:\n    - a.key\n    - ''\n"), kBrokerFile,
      7, "ca.ssh_key_files[1]");
}

TEST(BrokerConfigErrors, WebAuthnOriginMustMatchRpId) {
  const auto mismatch = broker_error(kMinimalBroker +
                                     "mfa:\n  webauthn:\n    rp_id: corp.example\n"
                                     "    origin: https://evil.example\n");
  EXPECT_CONFIG_ERROR_AT(mismatch, kBrokerFile, 7, "mfa.webauthn.origin");
  // Only rp_id given: the default origin (localhost) does not match, reported at webauthn.
  EXPECT_CONFIG_ERROR_AT(
      broker_error(kMinimalBroker + "mfa:\n  webauthn:\n    rp_id: corp.example\n"), kBrokerFile, 5,
      "mfa.webauthn");
  // A suffix that is not a label boundary is no match.
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "mfa:\n  webauthn: {rp_id: corp.example, "
                                                       "origin: \"https://evilcorp.example\"}\n"),
                         kBrokerFile, 5, "mfa.webauthn.origin");
  const auto ip = broker_error(kMinimalBroker + "mfa:\n  webauthn:\n    rp_id: 127.0.0.1\n");
  EXPECT_CONFIG_ERROR_AT(ip, kBrokerFile, 6, "mfa.webauthn.rp_id");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "mfa:\n  webauthn:\n"
                                                       "    origin: http://localhost:8443\n"),
                         kBrokerFile, 6, "mfa.webauthn.origin");
}

TEST(BrokerConfigErrors, AbsoluteSessionTimeoutBelowIdleIsRefused) {
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "sessions:\n  idle_timeout: 1h\n"
                                                       "  absolute_timeout: 30m\n"),
                         kBrokerFile, 6, "sessions.absolute_timeout");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "sessions:\n  idle_timeout: 1d\n"),
                         kBrokerFile, 5, "sessions.idle_timeout");
}

TEST(BrokerConfigErrors, BadUrlsAreRefused) {
  const auto error = broker_error(kMinimalBroker +
                                  "webhooks:\n  urls:\n    - https://hooks.example/\n"
                                  "    - ftp://hooks.example/\n");
  EXPECT_CONFIG_ERROR_AT(error, kBrokerFile, 7, "webhooks.urls[1]");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "ca: {crl_url: /v1/ca/x509/crl}\n"),
                         kBrokerFile, 4, "ca.crl_url");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "ca: {ocsp_url: \"ldap://x/ocsp\"}\n"),
                         kBrokerFile, 4, "ca.ocsp_url");
}

TEST(BrokerConfigErrors, FileErrorsNameTheFileAsGiven) {
  char dir_template[] = "/tmp/jit-config-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir(dir_template);
  const auto file = dir / "broker.yaml";
  std::ofstream(file) << kMinimalBroker << "http:\n  threads: many\n";
  const auto error = config_error([&] { (void)load_broker_config(file); });
  std::filesystem::remove_all(dir);
  EXPECT_CONFIG_ERROR_AT(error, file.string(), 5, "http.threads");
}

}  // namespace
}  // namespace jit::config
