// Helpers for config tests: run a parse that must fail and hand back the ConfigError so the test
// can assert its file, line and key exactly.
#pragma once

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

// Asserts where the error points; on a mismatch prints the whole message.
#define EXPECT_CONFIG_ERROR_AT(error, expected_file, expected_line, expected_key) \
  do {                                                                            \
    ASSERT_TRUE((error).has_value());                                             \
    EXPECT_EQ((error)->file(), (expected_file)) << (error)->what();               \
    EXPECT_EQ((error)->line(), (expected_line)) << (error)->what();               \
    EXPECT_EQ((error)->key(), (expected_key)) << (error)->what();                 \
  } while (false)

}  // namespace jit::testing
