// The HTTP tests use the broker tests' one temporary-folder helper under their own namespace.
#pragma once

#include "support/temp_dir.hpp"

namespace jit::broker::http_test {

using TempDir = jit::testing::TempDir;

}  // namespace jit::broker::http_test
