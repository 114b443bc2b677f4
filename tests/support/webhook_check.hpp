// What a webhook receiver does with our deliveries (README, "Verifying webhook deliveries"):
// recompute the signature over "<X-Jit-Timestamp>.<body>" with the shared secret, compare in
// constant time, refuse a timestamp more than 5 minutes from now (a replay).
#pragma once

#include "tests/support/http_receiver.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace jit::testing {

// Why `request` is not a genuine, fresh delivery signed with `secret`; empty when it is.
std::string webhook_problem(const ReceivedRequest& request, std::string_view secret,
                            std::int64_t now_seconds);

}  // namespace jit::testing
