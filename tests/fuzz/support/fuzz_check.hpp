// How a fuzz target reports a broken property that no sanitizer sees (a 500 for bad input, a parse
// that does not round-trip): it prints what broke and aborts, so libFuzzer keeps the input as a
// crash reproducer like any other crash.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace jit::fuzz {

[[noreturn]] inline void report_finding(std::string_view what) {
  std::fprintf(stderr, "==FUZZ FINDING== %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

inline void require(bool holds, std::string_view what) {
  if (!holds) report_finding(what);
}

}  // namespace jit::fuzz
