#include "config/config_error.hpp"

#include <utility>

namespace jit::config {
namespace {

std::string compose(const std::string& file, int line, const std::string& key,
                    const std::string& message, const std::string& expected) {
  std::string text;
  if (!file.empty()) {
    text = file;
    if (line > 0) text += ":" + std::to_string(line);
    text += ": ";
  }
  if (!key.empty()) text += key + ": ";
  text += message;
  if (!expected.empty()) text += " (expected " + expected + ")";
  return text;
}

}  // namespace

ConfigError::ConfigError(std::string file, int line, std::string key, std::string message,
                         std::string expected)
    : std::runtime_error(compose(file, line, key, message, expected)),
      file_(std::move(file)),
      line_(line),
      key_(std::move(key)),
      message_(std::move(message)),
      expected_(std::move(expected)) {}

}  // namespace jit::config
