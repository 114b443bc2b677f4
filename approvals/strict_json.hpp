// JSON from outside, parsed strictly: bounded size and depth, valid UTF-8 only (Boost.JSON's
// default), no comments or trailing commas, and no duplicate object keys. Boost.JSON 1.81 would
// silently keep one of two duplicates, so a first pass with a key-tracking handler refuses them; a
// value where "origin" or "totp" appears twice has no single meaning, and two parsers could
// disagree on it.
#pragma once

#include "approvals/approvals_error.hpp"

#include <boost/json/value.hpp>

#include <cstddef>
#include <string_view>

namespace jit::approvals {

struct JsonLimits {
  std::size_t max_bytes = 64 * 1024;
  std::size_t max_depth = 16;
};

// invalid_input for anything but one well-formed JSON text within the limits.
[[nodiscard]] Result<boost::json::value> parse_strict_json(std::string_view text,
                                                           const JsonLimits& limits = {});

}  // namespace jit::approvals
