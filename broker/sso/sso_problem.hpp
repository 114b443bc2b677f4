// Why an SSO step failed, as the caller is told (docs/api.md "Single sign-on"): an HTTP status,
// a snake_case code and one line for a person. Never holds a code, verifier, token or secret.
#pragma once

#include <boost/beast/http/status.hpp>

#include <string>
#include <utility>
#include <variant>

namespace jit::broker {

struct SsoProblem {
  boost::beast::http::status status = boost::beast::http::status::bad_request;
  std::string code;     // "invalid_state", "idp_unavailable", ...
  std::string message;  // "the identity provider could not be reached"
};

// A value or the problem that prevented it.
template <typename T>
class SsoResult {
 public:
  SsoResult(T value) : value_(std::move(value)) {}               // NOLINT: implicit like Result<T>
  SsoResult(SsoProblem problem) : value_(std::move(problem)) {}  // NOLINT
  explicit operator bool() const { return std::holds_alternative<T>(value_); }
  T& operator*() { return std::get<T>(value_); }
  T* operator->() { return &std::get<T>(value_); }
  const SsoProblem& problem() const { return std::get<SsoProblem>(value_); }

 private:
  std::variant<T, SsoProblem> value_;
};

inline SsoProblem idp_unavailable(std::string message) {
  return {boost::beast::http::status::bad_gateway, "idp_unavailable", std::move(message)};
}

}  // namespace jit::broker
