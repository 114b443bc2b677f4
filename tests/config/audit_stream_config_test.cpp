// broker.yaml's `audit_stream` section (docs/operations.md, "Audit stream to a SIEM"): a syslog
// server over TLS and a JSON-lines file, each checked at load time; a mistake names file, line and
// key.
#include "config/broker_config.hpp"

#include "config_test_support.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jit::config {
namespace {

using testing::config_error;

class AuditStreamConfigTest : public ::testing::Test {
 protected:
  AuditStreamConfigTest() { jit::testing::write_text(dir_ / "siem-ca.pem", "PEM\n"); }
  // kMinimalBroker's three lines, then `section` from line 4.
  BrokerConfig parse(const std::string& section) const {
    return parse_broker_config(testing::kMinimalBroker + section, file());
  }
  std::optional<ConfigError> error(const std::string& section) const {
    return config_error([&] { (void)parse(section); });
  }
  std::string file() const { return (dir_ / "broker.yaml").string(); }

  jit::testing::TempDir dir_;
};

TEST_F(AuditStreamConfigTest, NoSectionStreamsNowhere) {
  const auto config = parse("");
  EXPECT_FALSE(config.audit_stream.syslog);
  EXPECT_FALSE(config.audit_stream.file);
}

TEST_F(AuditStreamConfigTest, ReadsBothSinksWithDefaults) {
  const auto config = parse(
      "audit_stream:\n"
      "  syslog: {address: 'siem.example.net:6514', ca_file: siem-ca.pem}\n"
      "  file: {path: audit.jsonl}\n");
  ASSERT_TRUE(config.audit_stream.syslog);
  const auto& syslog = *config.audit_stream.syslog;
  EXPECT_EQ(syslog.host, "siem.example.net");
  EXPECT_EQ(syslog.port, 6514);
  EXPECT_EQ(syslog.server_name, "siem.example.net");
  EXPECT_EQ(syslog.ca_file, dir_ / "siem-ca.pem");
  EXPECT_EQ(syslog.app_name, "jit-broker");
  EXPECT_EQ(syslog.timeout, std::chrono::seconds(10));
  EXPECT_FALSE(syslog.client_cert_file);
  ASSERT_TRUE(config.audit_stream.file);
  EXPECT_EQ(config.audit_stream.file->path, dir_ / "audit.jsonl");
  EXPECT_EQ(config.audit_stream.file->max_bytes, 100u * 1024 * 1024);
  EXPECT_EQ(config.audit_stream.file->keep, 5);
}

TEST_F(AuditStreamConfigTest, ReadsEveryKey) {
  jit::testing::write_text(dir_ / "client.pem", "PEM\n");
  jit::testing::write_text(dir_ / "client.key", "KEY\n");
  const auto config = parse(
      "audit_stream:\n"
      "  syslog:\n"
      "    address: '[::1]:10514'\n"
      "    ca_file: siem-ca.pem\n"
      "    server_name: siem.example.net\n"
      "    client_cert_file: client.pem\n"
      "    client_key_file: client.key\n"
      "    app_name: jit-prod\n"
      "    timeout: 3s\n"
      "  file: {path: audit.jsonl, max_bytes: 65536, keep: 3}\n");
  const auto& syslog = *config.audit_stream.syslog;
  EXPECT_EQ(syslog.host, "::1");
  EXPECT_EQ(syslog.port, 10514);
  EXPECT_EQ(syslog.server_name, "siem.example.net");
  EXPECT_EQ(syslog.client_key_file, dir_ / "client.key");
  EXPECT_EQ(syslog.app_name, "jit-prod");
  EXPECT_EQ(syslog.timeout, std::chrono::seconds(3));
  EXPECT_EQ(config.audit_stream.file->max_bytes, 65536u);
  EXPECT_EQ(config.audit_stream.file->keep, 3);
}

TEST_F(AuditStreamConfigTest, MistakesNameFileLineAndKey) {
  const std::string head = "audit_stream:\n  syslog:\n";
  EXPECT_CONFIG_ERROR_AT(error(head + "    address: siem.example.net\n    ca_file: siem-ca.pem\n"),
                         file(), 6, "audit_stream.syslog.address");
  EXPECT_CONFIG_ERROR_AT(error(head + "    address: 'siem:0'\n    ca_file: siem-ca.pem\n"), file(),
                         6, "audit_stream.syslog.address");
  EXPECT_CONFIG_ERROR_AT(error(head + "    address: 'siem:6514'\n    ca_file: missing.pem\n"),
                         file(), 7, "audit_stream.syslog.ca_file");
  EXPECT_CONFIG_ERROR_AT(error(head + "    address: 'siem:6514'\n"), file(), 5,
                         "audit_stream.syslog.ca_file");
  EXPECT_CONFIG_ERROR_AT(error(head + "    address: 'siem:6514'\n    ca_file: siem-ca.pem\n"
                                      "    client_cert_file: siem-ca.pem\n"),
                         file(), 8, "audit_stream.syslog.client_cert_file");
  EXPECT_CONFIG_ERROR_AT(error(head + "    address: 'siem:6514'\n    ca_file: siem-ca.pem\n"
                                      "    app_name: 'two words'\n"),
                         file(), 8, "audit_stream.syslog.app_name");
  EXPECT_CONFIG_ERROR_AT(error(head + "    address: 'siem:6514'\n    ca_file: siem-ca.pem\n"
                                      "    port: 1\n"),
                         file(), 8, "audit_stream.syslog.port");
  EXPECT_CONFIG_ERROR_AT(error("audit_stream:\n  file: {path: no-such-folder/audit.jsonl}\n"),
                         file(), 5, "audit_stream.file.path");
  EXPECT_CONFIG_ERROR_AT(error("audit_stream:\n  file:\n    path: a.jsonl\n    max_bytes: 10\n"),
                         file(), 7, "audit_stream.file.max_bytes");
  EXPECT_CONFIG_ERROR_AT(error("audit_stream:\n  file:\n    path: a.jsonl\n    keep: 0\n"), file(),
                         7, "audit_stream.file.keep");
  EXPECT_CONFIG_ERROR_AT(error("audit_stream:\n  kafka: {}\n"), file(), 5, "audit_stream.kafka");
}

}  // namespace
}  // namespace jit::config
