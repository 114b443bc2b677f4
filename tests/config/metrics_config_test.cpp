// The `metrics:` section of broker.yaml (issue 14 E25): a bearer token that /metrics then requires,
// named by an environment variable or a file (never both); absent, /metrics stays open.
#include "config/broker_config.hpp"

#include "config_test_support.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jit::config {
namespace {

using testing::config_error;
using testing::kBrokerFile;
using testing::kMinimalBroker;

TEST(MetricsConfig, NoSectionLeavesMetricsOpen) {
  const auto config = parse_broker_config(kMinimalBroker, kBrokerFile);
  EXPECT_FALSE(config.metrics.bearer_token_env);
  EXPECT_FALSE(config.metrics.bearer_token_file);
}

TEST(MetricsConfig, TokenFromAnEnvironmentVariableOrAFile) {
  const auto from_env = parse_broker_config(
      kMinimalBroker + "metrics:\n  bearer_token_env: JIT_METRICS_TOKEN\n", kBrokerFile);
  EXPECT_EQ(from_env.metrics.bearer_token_env, "JIT_METRICS_TOKEN");
  const auto from_file = parse_broker_config(
      kMinimalBroker + "metrics:\n  bearer_token_file: metrics.token\n", kBrokerFile);
  EXPECT_EQ(from_file.metrics.bearer_token_file, std::filesystem::path("/etc/jit/metrics.token"));
}

TEST(MetricsConfig, BothSourcesABadNameOrAnUnknownKeyAreErrors) {
  const auto both = config_error([] {
    (void)parse_broker_config(kMinimalBroker +
                                  "metrics:\n  bearer_token_env: JIT_METRICS_TOKEN\n"
                                  "  bearer_token_file: /etc/jit/metrics.token\n",
                              kBrokerFile);
  });
  EXPECT_CONFIG_ERROR_AT(both, kBrokerFile, 6, "metrics.bearer_token_file");
  const auto bad_name = config_error([] {
    (void)parse_broker_config(kMinimalBroker + "metrics:\n  bearer_token_env: JIT-TOKEN\n",
                              kBrokerFile);
  });
  EXPECT_CONFIG_ERROR_AT(bad_name, kBrokerFile, 5, "metrics.bearer_token_env");
  const auto unknown = config_error(
      [] { (void)parse_broker_config(kMinimalBroker + "metrics:\n  token: abc\n", kBrokerFile); });
  EXPECT_CONFIG_ERROR_AT(unknown, kBrokerFile, 5, "metrics.token");
}

}  // namespace
}  // namespace jit::config
