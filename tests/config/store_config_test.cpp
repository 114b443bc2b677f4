// broker.yaml's `store` section (docs/architecture.md, "Store backends (SQLite and PostgreSQL)"):
// SQLite by default; PostgreSQL with its connection string from an environment variable or a file,
// never inline.
#include "config/broker_config.hpp"

#include "config_test_support.hpp"

#include <gtest/gtest.h>

namespace jit::config {
namespace {

using testing::broker_error;
using testing::kBrokerFile;
using testing::kMinimalBroker;

TEST(StoreConfig, SqliteByDefaultAndPostgresqlWithItsUrlSource) {
  EXPECT_EQ(parse_broker_config(kMinimalBroker, kBrokerFile).store.backend, StoreBackend::sqlite);
  const BrokerConfig by_env = parse_broker_config(
      kMinimalBroker + "store: {backend: postgresql, url_env: JIT_PG_URL}\n", kBrokerFile);
  EXPECT_EQ(by_env.store.backend, StoreBackend::postgresql);
  EXPECT_EQ(by_env.store.url_env, "JIT_PG_URL");
  EXPECT_FALSE(by_env.store.url_file);
  const BrokerConfig by_file = parse_broker_config(
      kMinimalBroker + "store:\n  backend: postgresql\n  url_file: secrets/pg.url\n", kBrokerFile);
  EXPECT_EQ(by_file.store.url_file, std::filesystem::path("/etc/jit/secrets/pg.url"));
}

TEST(StoreConfig, MistakesNameFileLineAndKey) {
  // No connection string inline: an unknown key.
  EXPECT_CONFIG_ERROR_AT(
      broker_error(kMinimalBroker +
                   "store:\n  backend: postgresql\n  url: postgresql://u:p@h/db\n"),
      kBrokerFile, 6, "store.url");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "store:\n  backend: postgresql\n"),
                         kBrokerFile, 4, "store.url_env");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "store:\n  backend: postgresql\n"
                                                       "  url_env: A\n  url_file: /f\n"),
                         kBrokerFile, 7, "store.url_file");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "store:\n  backend: oracle\n"), kBrokerFile,
                         5, "store.backend");
  EXPECT_CONFIG_ERROR_AT(broker_error(kMinimalBroker + "store:\n  url_env: JIT_PG_URL\n"),
                         kBrokerFile, 5, "store.url_env");
  EXPECT_CONFIG_ERROR_AT(
      broker_error(kMinimalBroker + "store: {backend: postgresql, url_env: \"not a name\"}\n"),
      kBrokerFile, 4, "store.url_env");
}

}  // namespace
}  // namespace jit::config
