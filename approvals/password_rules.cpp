#include "approvals/password_rules.hpp"

#include "approvals/password_hash.hpp"
#include "ca/bytes.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>

namespace jit::approvals {
namespace {

// Code points in `text`, or nullopt when it is not valid, shortest-form UTF-8 of scalar values or
// holds a control character. Control characters make the answer not_one_line through `control`.
std::optional<std::size_t> count_code_points(std::string_view text, bool& control) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++count) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 1;
    std::uint32_t value = lead;
    std::uint32_t min_value = 0;
    if (lead >= 0x80) {
      if ((lead & 0xE0) == 0xC0) {
        length = 2, value = lead & 0x1F, min_value = 0x80;
      } else if ((lead & 0xF0) == 0xE0) {
        length = 3, value = lead & 0x0F, min_value = 0x800;
      } else if ((lead & 0xF8) == 0xF0) {
        length = 4, value = lead & 0x07, min_value = 0x10000;
      } else {
        return std::nullopt;
      }
      if (i + length > text.size()) return std::nullopt;
      for (std::size_t k = 1; k < length; ++k) {
        const auto next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xC0) != 0x80) return std::nullopt;
        value = (value << 6) | (next & 0x3F);
      }
      if (value < min_value || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        return std::nullopt;
      }
    }
    if (value < 0x20 || (value >= 0x7F && value <= 0x9F)) control = true;
    i += length;
  }
  return count;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::optional<PasswordProblem> new_password_problem(std::string_view password,
                                                    std::string_view user) {
  if (password.size() > kMaxPasswordBytes) return PasswordProblem::too_long;
  bool control = false;
  const auto characters = count_code_points(password, control);
  if (!characters) return PasswordProblem::invalid_utf8;
  if (control) return PasswordProblem::not_one_line;
  if (*characters < kMinPasswordCharacters) return PasswordProblem::too_short;
  // Names are ASCII (config/names.hpp), so ASCII case folding is the whole comparison. A name of
  // one or two characters would forbid too many ordinary passwords by containment.
  const std::string name = ascii_lower(user);
  std::string folded = ascii_lower(password);
  const bool names_user =
      !name.empty() &&
      (folded == name || (name.size() >= 3 && folded.find(name) != std::string::npos));
  ca::wipe(folded);  // a copy of the password
  if (names_user) return PasswordProblem::contains_user_name;
  return std::nullopt;
}

std::string_view describe(PasswordProblem problem) {
  static_assert(kMinPasswordCharacters == 12 && kMaxPasswordBytes == 1024, "update the texts");
  switch (problem) {
    case PasswordProblem::too_short:
      return "password must be at least 12 characters";
    case PasswordProblem::too_long:
      return "password must be at most 1024 bytes";
    case PasswordProblem::not_one_line:
      return "password must be one line without control characters (no tabs or newlines)";
    case PasswordProblem::invalid_utf8:
      return "password must be UTF-8 text";
    case PasswordProblem::contains_user_name:
      return "password must not be or contain the user's name";
  }
  return "password refused";
}

}  // namespace jit::approvals
