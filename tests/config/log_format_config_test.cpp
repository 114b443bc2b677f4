// `log_format:` in broker.yaml (issue 20 item 4): text unless told json; anything else is an error
// naming the file, the line and the key.
#include "config/broker_config.hpp"

#include "config_test_support.hpp"

#include <gtest/gtest.h>

#include <string>

namespace jit::config {
namespace {

TEST(LogFormatConfig, TextByDefaultJsonWhenAsked) {
  using testing::kBrokerFile;
  using testing::kMinimalBroker;
  EXPECT_EQ(parse_broker_config(kMinimalBroker, kBrokerFile).log_format, LogFormat::text);
  EXPECT_EQ(parse_broker_config(kMinimalBroker + "log_format: text\n", kBrokerFile).log_format,
            LogFormat::text);
  EXPECT_EQ(parse_broker_config(kMinimalBroker + "log_format: json\n", kBrokerFile).log_format,
            LogFormat::json);
}

TEST(LogFormatConfig, AnUnknownFormatOrAMapIsAnError) {
  using testing::kBrokerFile;
  using testing::kMinimalBroker;
  const auto unknown = testing::broker_error(kMinimalBroker + "log_format: journald\n");
  EXPECT_CONFIG_ERROR_AT(unknown, kBrokerFile, 4, "log_format");
  const auto map = testing::broker_error(kMinimalBroker + "log_format: {kind: json}\n");
  EXPECT_CONFIG_ERROR_AT(map, kBrokerFile, 4, "log_format");
}

}  // namespace
}  // namespace jit::config
