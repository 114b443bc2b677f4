// Helpers for config tests: run a parse that must fail and hand back the ConfigError so the test
// can assert its file, line and key exactly.
#pragma once

#include "config/broker_config.hpp"
#include "config/config_error.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>

namespace jit::testing {

// Returns the ConfigError `parse` throws; fails the test (and returns nullopt) when it throws
// nothing.
inline std::optional<config::ConfigError> config_error(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const config::ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError was thrown";
  return std::nullopt;
}

// The file names the parse functions are told; errors must name them back.
inline const std::string kBrokerFile = "/etc/jit/broker.yaml";
inline const std::string kPolicyFile = "/etc/jit/policy.yaml";

// A valid broker.yaml of three lines; tests append theirs from line 4 on.
inline const std::string kMinimalBroker =
    "data_dir: /srv/jit\n"
    "policy_file: policy.yaml\n"
    "tls: {dev_tls: true}\n";

// The ConfigError that parsing `yaml` as kBrokerFile throws.
inline std::optional<config::ConfigError> broker_error(const std::string& yaml) {
  return config_error([&] { (void)config::parse_broker_config(yaml, kBrokerFile); });
}

// Asserts where the error points; on a mismatch prints the whole message.
#define EXPECT_CONFIG_ERROR_AT(error, expected_file, expected_line, expected_key) \
  do {                                                                            \
    ASSERT_TRUE((error).has_value());                                             \
    EXPECT_EQ((error)->file(), (expected_file)) << (error)->what();               \
    EXPECT_EQ((error)->line(), (expected_line)) << (error)->what();               \
    EXPECT_EQ((error)->key(), (expected_key)) << (error)->what();                 \
  } while (false)

}  // namespace jit::testing
