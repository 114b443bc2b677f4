// What a new password must be, checked before it is hashed (`jit-broker user enroll|reset`): at
// least 12 characters, at most kMaxPasswordBytes bytes, one line of valid UTF-8 without control
// characters (a login sends it as a JSON string, so anything else could never be typed back), and
// not the user's name: not equal to it and, for names of 3 or more characters, not containing it,
// both compared case-insensitively.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace jit::approvals {

inline constexpr std::size_t kMinPasswordCharacters = 12;

enum class PasswordProblem {
  too_short,          // fewer than kMinPasswordCharacters characters (code points)
  too_long,           // more than kMaxPasswordBytes bytes
  not_one_line,       // a control character (C0 including tab and newlines, DEL, C1)
  invalid_utf8,       // bytes that are not UTF-8
  contains_user_name  // equal to the name, or containing it
};

// The first rule `password` breaks for `user`, or nullopt when it may be stored.
[[nodiscard]] std::optional<PasswordProblem> new_password_problem(std::string_view password,
                                                                  std::string_view user);

// One line for the administrator, naming the rule; never quotes the password.
[[nodiscard]] std::string_view describe(PasswordProblem problem);

}  // namespace jit::approvals
