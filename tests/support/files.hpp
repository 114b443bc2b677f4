// Whole-file reads and writes for tests: configs, keys and certificates they hand to a process, and
// what a process wrote back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace jit::testing {

// The file's bytes; empty when it does not exist or cannot be read (a test then fails on the
// content, naming what it expected).
std::string read_text(const std::filesystem::path& path);

// Replaces the file with `text`; throws std::runtime_error naming the file when the write fails.
void write_text(const std::filesystem::path& path, std::string_view text);

// The permission bits (mode & 0777) of `path`; 01000, which no file has, when it does not exist.
unsigned file_mode(const std::filesystem::path& path);

// The wall clock in Unix seconds, as the broker stores times.
std::int64_t unix_now();

}  // namespace jit::testing
