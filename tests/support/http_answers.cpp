#include "tests/support/http_answers.hpp"

#include <boost/json/parse.hpp>

namespace jit::testing {

std::string error_code_of(const broker::HttpResponse& response) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(response.body(), ec);
  if (ec || !value.is_object()) return {};
  const auto& object = value.as_object();
  const auto* error = object.if_contains("error");
  const auto* code = object.if_contains("code");
  if (error == nullptr || !error->is_string() || code == nullptr || !code->is_string()) return {};
  return std::string(code->as_string());
}

std::vector<std::string> server_error_lines(std::string_view metrics_text) {
  std::vector<std::string> lines;
  for (std::size_t at = metrics_text.find("status=\"5"); at != std::string_view::npos;
       at = metrics_text.find("status=\"5", at + 1)) {
    const std::size_t start = metrics_text.rfind('\n', at) + 1;  // npos + 1 == 0
    lines.emplace_back(metrics_text.substr(start, metrics_text.find('\n', at) - start));
  }
  return lines;
}

}  // namespace jit::testing
