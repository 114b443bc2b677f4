#include "broker/api/api_support.hpp"

#include "approvals/access_rules.hpp"
#include "approvals/approvals_error.hpp"
#include "approvals/request_errors.hpp"
#include "approvals/time_point.hpp"
#include "approvals/totp.hpp"
#include "broker/http/json_response.hpp"
#include "ca/ca_error.hpp"

#include <algorithm>
#include <chrono>

namespace jit::broker {

HttpResponse error_answer(const boost::system::error_code& ec) {
  const bool ours = ec.category() == broker_category() || ec.category() == ca::ca_category() ||
                    ec.category() == approvals::approvals_category() ||
                    ec.category() == approvals::request_category();
  const auto status = to_http_status(ec);
  if (!ours || status == http::status::internal_server_error) {
    return error_response(http::status::internal_server_error, "internal_error", "internal error");
  }
  if (ec == BrokerErrc::totp_code_used) {
    // When the caller's authenticator shows a code not used yet: the next 30 s step of the wall
    // clock TOTP follows, counted as the answer leaves (docs/api.md "Errors").
    const auto wait = approvals::seconds_until_next_totp_step(
        std::chrono::floor<std::chrono::seconds>(approvals::Clock::now()));
    return json_response(status, boost::json::object{{"error", ec.message()},
                                                     {"code", error_code_name(ec)},
                                                     {"retry_after_seconds", wait ? *wait : 30}});
  }
  return error_response(status, error_code_name(ec), ec.message());
}

HttpResponse error_answer(http::status status, std::string_view code, std::string_view message) {
  return error_response(status, code, message);
}

HttpResponse invalid_input(const FieldProblem& problem) {
  return error_answer(http::status::bad_request, "invalid_input", problem.message);
}

std::optional<std::string> string_field(const boost::json::object& body, std::string_view name,
                                        std::size_t max, std::optional<FieldProblem>& problem) {
  const auto* value = body.if_contains(name);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_string() || value->as_string().size() > max) {
    problem = FieldProblem{"field '" + std::string(name) + "' must be a string of at most " +
                           std::to_string(max) + " bytes"};
    return std::nullopt;
  }
  return std::string(value->as_string());
}

std::optional<FieldProblem> only_fields(const boost::json::object& body,
                                        std::initializer_list<std::string_view> allowed) {
  for (const auto& member : body) {
    if (std::find(allowed.begin(), allowed.end(), member.key()) == allowed.end()) {
      // The key is valid UTF-8 (strict JSON) but may be long: cut it between characters, so that
      // the answer quoting it stays valid JSON.
      std::string key(approvals::utf8_prefix(member.key(), 40));
      return FieldProblem{"unknown field '" + key + "'"};
    }
  }
  return std::nullopt;
}

}  // namespace jit::broker
