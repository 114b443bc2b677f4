// The one exception type of config/: a start-up error that names where the problem is and what
// would be accepted, so an operator can fix the file from the message alone.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace jit::config {

class ConfigError : public std::runtime_error {
 public:
  // what() is "FILE:LINE: KEY: message (expected ...)". The parts that are unknown are left out:
  // no ":LINE" when line is 0, no "KEY: " when key is empty, no "FILE:" when file is empty (a
  // command-line option), no "(expected ...)" when expected is empty.
  ConfigError(std::string file, int line, std::string key, std::string message,
              std::string expected);

  const std::string& file() const { return file_; }
  int line() const { return line_; }  // 1-based; 0 when unknown
  const std::string& key() const {
    return key_;
  }  // dotted path, e.g. roles.prod-db-read.max_duration
  const std::string& message() const { return message_; }
  const std::string& expected() const { return expected_; }

 private:
  std::string file_;
  int line_;
  std::string key_;
  std::string message_;
  std::string expected_;
};

}  // namespace jit::config
