// Whole-file reads and writes for tests: configs, keys and certificates they hand to a process, and
// what a process wrote back.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace jit::testing {

// The file's bytes; empty when it does not exist or cannot be read (a test then fails on the
// content, naming what it expected).
std::string read_text(const std::filesystem::path& path);

// Replaces the file with `text`; throws std::runtime_error naming the file when the write fails.
void write_text(const std::filesystem::path& path, std::string_view text);

}  // namespace jit::testing
