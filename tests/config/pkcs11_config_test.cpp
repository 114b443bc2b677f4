// ca.pkcs11 and pkcs11: URIs as CA keys (docs/operations.md "CA keys in an HSM (PKCS#11)").
#include "config/broker_config.hpp"

#include "config_test_support.hpp"

#include <gtest/gtest.h>

namespace jit::config {
namespace {

using testing::broker_error;
using testing::kBrokerFile;
using testing::kMinimalBroker;

TEST(Pkcs11Config, UrisAreKeptAsWrittenBesideFilePaths) {
  const BrokerConfig c = parse_broker_config(kMinimalBroker + R"(ca:
  pkcs11: {module: /usr/lib/softhsm/libsofthsm2.so, pin_file: secrets/hsm.pin}
  ssh_key_files: ["pkcs11:token=jit;object=ssh-2027", ca/ssh-2025.key]
  x509_issuing_key_file: "PKCS11:token=jit;object=issuing"
)",
                                             kBrokerFile);
  ASSERT_TRUE(c.ca.pkcs11);
  EXPECT_EQ(c.ca.pkcs11->module, "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_EQ(c.ca.pkcs11->pin_file, std::filesystem::path("/etc/jit/secrets/hsm.pin"));
  EXPECT_FALSE(c.ca.pkcs11->pin_env);
  ASSERT_EQ(c.ca.ssh_key_files.size(), 2u);
  EXPECT_EQ(c.ca.ssh_key_files[0], "pkcs11:token=jit;object=ssh-2027");
  EXPECT_EQ(c.ca.ssh_key_files[1], "/etc/jit/ca/ssh-2025.key");
  EXPECT_EQ(c.ca.x509_issuing_key_file, "PKCS11:token=jit;object=issuing");
}

TEST(Pkcs11Config, MistakesNameFileLineAndKey) {
  // A URI without the module and PIN settings.
  EXPECT_CONFIG_ERROR_AT(
      broker_error(kMinimalBroker + "ca:\n  ssh_key_files: [\"pkcs11:token=jit;object=a\"]\n"),
      kBrokerFile, 5, "ca.ssh_key_files[0]");
  EXPECT_CONFIG_ERROR_AT(
      broker_error(kMinimalBroker + "ca:\n  x509_issuing_key_file: \"pkcs11:object=a\"\n"),
      kBrokerFile, 5, "ca.x509_issuing_key_file");
  // Never a PIN inline.
  const auto inline_pin = broker_error(kMinimalBroker +
                                       "ca:\n  pkcs11: {module: /m.so, pin_env: HSM_PIN}\n"
                                       "  ssh_key_files: [\"pkcs11:object=a?pin-value=1234\"]\n");
  EXPECT_CONFIG_ERROR_AT(inline_pin, kBrokerFile, 6, "ca.ssh_key_files[0]");
  // Exactly one PIN source, and a module.
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "ca:\n  pkcs11:\n    module: /m.so\n"
                                                       "    pin_env: HSM_PIN\n    pin_file: /p\n"),
                         kBrokerFile, 8, "ca.pkcs11.pin_file");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "ca:\n  pkcs11:\n    module: /m.so\n"),
                         kBrokerFile, 5, "ca.pkcs11.pin_env");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "ca:\n  pkcs11:\n    pin_env: HSM_PIN\n"),
                         kBrokerFile, 5, "ca.pkcs11.module");
  EXPECT_CONFIG_ERROR_AT(
      broker_error(kMinimalBroker + "ca:\n  pkcs11: {module: /m.so, pin_env: \"not a name\"}\n"),
      kBrokerFile, 5, "ca.pkcs11.pin_env");
}

}  // namespace
}  // namespace jit::config
