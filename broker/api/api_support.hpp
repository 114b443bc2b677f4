// Small pieces every API handler uses: answering an error code as JSON, reading typed fields from a
// JSON body with one clear message per problem, and the caller's identity.
#pragma once

#include "broker/auth/identity_service.hpp"
#include "broker/broker_error.hpp"
#include "broker/http/json_response.hpp"
#include "broker/http/router.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace jit::broker {

// {"error": fixed safe text, "code": snake_case}, with the status of the error's kind. Only our own
// categories' texts are shown; anything else becomes a generic internal error.
HttpResponse error_answer(const boost::system::error_code& ec);
HttpResponse error_answer(http::status status, std::string_view code, std::string_view message);

// Field readers: absent is nullopt; present with the wrong type or over `max` bytes sets `problem`.
struct FieldProblem {
  std::string message;  // "field 'reason' must be a string of at most 1000 bytes"
};
std::optional<std::string> string_field(const boost::json::object& body, std::string_view name,
                                        std::size_t max, std::optional<FieldProblem>& problem);

// 400 invalid_input saying what is wrong with a field.
HttpResponse invalid_input(const FieldProblem& problem);

// Refuses members other than `allowed`, so a typo is an error, not a silently ignored field.
std::optional<FieldProblem> only_fields(const boost::json::object& body,
                                        std::initializer_list<std::string_view> allowed);

// A handler that first authenticates the caller (bearer token, or cookie plus CSRF header) and
// answers 401 itself when that fails.
template <typename Fn>
Handler authenticated(IdentityService& identity, Fn fn) {
  return [&identity, fn](RequestContext&& context, Responder respond) {
    auto caller = identity.authenticate(context.request);
    if (!caller) return respond(error_answer(caller.error()));
    if (context.log) context.log->user = caller->user;  // the access line's user
    fn(std::move(context), std::move(respond), std::move(*caller));
  };
}

// Answers a service result: `status` with the object, or the error as JSON.
inline void answer_with(const Responder& respond, http::status status,
                        Result<boost::json::object> result) {
  if (!result) return respond(error_answer(result.error()));
  respond(json_response(status, *result));
}

}  // namespace jit::broker
