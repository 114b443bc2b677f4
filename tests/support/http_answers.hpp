// Checks on answers shared by the HTTP tests: the JSON error body every refusal carries, and the
// Prometheus lines that would show a 5xx answer.
#pragma once

#include "broker/http/http_types.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace jit::testing {

// The "code" of a {"error": text, "code": code} body, parsed strictly (valid UTF-8, one JSON
// object, both members strings); empty when the body is anything else.
std::string error_code_of(const broker::HttpResponse& response);

// The lines of a /metrics text that count answers with a 5xx status.
std::vector<std::string> server_error_lines(std::string_view metrics_text);

}  // namespace jit::testing
