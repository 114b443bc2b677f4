// Polling for a condition another process or thread makes true, for the integration tests.
#pragma once

#include <chrono>
#include <functional>

namespace jit::testing {

// True once `condition` holds, checking it every `every` for at most `limit` (and once more at
// the end, so a condition that turns true just then still counts).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit,
                std::chrono::milliseconds every = std::chrono::milliseconds(20));

}  // namespace jit::testing
