// broker.yaml and policy.yaml from hostile text: each input is parsed as both files (the loaders
// of config/, from a string, so that no file is read). Either it loads, or it throws ConfigError
// naming a line inside the text; any other exception, or a line outside the text, is a finding
// (the operator would get no usable start-up message).
#include "config/broker_config.hpp"
#include "config/config_error.hpp"
#include "config/policy.hpp"
#include "support/fuzz_check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

namespace {

using jit::fuzz::report_finding;

template <typename Parse>
void check(std::string_view what, std::string_view text, Parse parse) {
  try {
    parse();
  } catch (const jit::config::ConfigError& e) {
    const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
    if (e.line() < 0 || e.line() > lines) {
      report_finding(std::string(what) + ": ConfigError names line " + std::to_string(e.line()) +
                     " of a " + std::to_string(lines) + "-line text: " + e.what());
    }
  } catch (const std::exception& e) {
    report_finding(std::string(what) + ": exception other than ConfigError: " + e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Absolute names: relative paths in the text resolve against /fuzz without touching the disk.
  check("broker.yaml", text,
        [&] { (void)jit::config::parse_broker_config(text, "/fuzz/broker.yaml"); });
  check("policy.yaml", text,
        [&] { (void)jit::config::parse_policy(text, "/fuzz/policy.yaml", jit::config::Limits{}); });
  return 0;
}
