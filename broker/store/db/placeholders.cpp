#include "broker/store/db/placeholders.hpp"

#include "broker/store/db/db_connection.hpp"

#include <cctype>

namespace jit::broker::db {
namespace {

constexpr int kMaxPlaceholderNumber = 32766;  // SQLite's default SQLITE_MAX_VARIABLE_NUMBER

[[noreturn]] void bad_placeholder_sql(const std::string& why) {
  throw Error(Failure::other, "SQL not accepted: " + why);
}

// The index just past the quoted run that starts at `at` (a quote doubled inside stays inside).
std::size_t skip_quoted(std::string_view sql, std::size_t at) {
  const char quote = sql[at];
  for (std::size_t i = at + 1; i < sql.size(); ++i) {
    if (sql[i] != quote) continue;
    if (i + 1 < sql.size() && sql[i + 1] == quote) {
      ++i;
      continue;
    }
    return i + 1;
  }
  bad_placeholder_sql("unterminated quote");
}

}  // namespace

NumberedSql number_placeholders(std::string_view sql) {
  NumberedSql out;
  out.sql.reserve(sql.size() + 8);
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      const std::size_t end = skip_quoted(sql, i);
      out.sql.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      std::size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size();
      out.sql.append(sql.substr(i, end - i));
      i = end;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const std::size_t close = sql.find("*/", i + 2);
      if (close == std::string_view::npos) bad_placeholder_sql("unterminated comment");
      out.sql.append(sql.substr(i, close + 2 - i));
      i = close + 2;
    } else if (c == '?') {
      std::size_t end = i + 1;
      while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end])) != 0) ++end;
      int number = 0;
      if (end == i + 1) {
        number = out.parameter_count + 1;
      } else {
        if (end - i - 1 > 5) bad_placeholder_sql("placeholder number too large");
        number = std::stoi(std::string(sql.substr(i + 1, end - i - 1)));
        if (number < 1 || number > kMaxPlaceholderNumber) {
          bad_placeholder_sql("placeholder number out of range");
        }
      }
      if (number > kMaxPlaceholderNumber) bad_placeholder_sql("too many placeholders");
      if (number > out.parameter_count) out.parameter_count = number;
      out.sql += '$';
      out.sql += std::to_string(number);
      i = end;
    } else {
      out.sql += c;
      ++i;
    }
  }
  return out;
}

}  // namespace jit::broker::db
