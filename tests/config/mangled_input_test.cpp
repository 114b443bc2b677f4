// Truncated and byte-flipped versions of the shipped examples: each must either load or throw
// ConfigError with a line inside the text. Nothing else may escape (no yaml-cpp exception, no
// crash), which is what keeps a broken file down to one clear start-up line.
#include "config/broker_config.hpp"
#include "config/policy.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace jit::config {
namespace {

std::string read_example(const char* name) {
  return testing::read_text(std::filesystem::path(JIT_SOURCE_DIR) / "examples" / name);
}

int line_count(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
}

// Parses `text` and returns "" when it loaded or threw a well-located ConfigError, else a
// description of what went wrong.
template <typename Parse>
std::string check(const std::string& text, Parse parse) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    if (e.line() < 0 || e.line() > line_count(text)) {
      return "line " + std::to_string(e.line()) + " outside the text: " + e.what();
    }
  } catch (const std::exception& e) {
    return std::string("escaped exception: ") + e.what();
  }
  return "";
}

// About 600 truncations and 600 replaced bytes per file, evenly spread (every 4th and every 3rd
// position in a short file), keep the binary fast under ASan while still cutting through every
// line and every kind of token; the config_yaml fuzz target (tests/fuzz) explores the rest.
template <typename Parse>
void mangle(const std::string& original, Parse parse) {
  const std::size_t truncation_stride = std::max<std::size_t>(4, original.size() / 600);
  for (std::size_t length = 0; length < original.size(); length += truncation_stride) {
    const std::string text = original.substr(0, length);
    const std::string problem = check(text, parse);
    ASSERT_EQ(problem, "") << "truncated to " << length << " bytes";
  }
  // Characters that matter to YAML's structure, plus bytes it does not expect at all.
  const std::string replacements = std::string(":-[]{}\"'&*!|>#, \n\t\x01\xff", 21);
  const std::size_t replacement_stride = std::max<std::size_t>(3, original.size() / 600);
  std::size_t round = 0;
  for (std::size_t position = 0; position < original.size(); position += replacement_stride) {
    std::string text = original;
    text[position] = replacements[round++ % replacements.size()];
    const std::string problem = check(text, parse);
    ASSERT_EQ(problem, "") << "byte " << position << " replaced";
  }
}

TEST(MangledInput, BrokerYamlNeverEscapesConfigError) {
  mangle(read_example("broker.yaml"),
         [](const std::string& text) { (void)parse_broker_config(text, "/etc/jit/broker.yaml"); });
}

TEST(MangledInput, PolicyYamlNeverEscapesConfigError) {
  mangle(read_example("policy.yaml"), [](const std::string& text) {
    (void)parse_policy(text, "/etc/jit/policy.yaml", Limits{});
  });
}

}  // namespace
}  // namespace jit::config
