// SQL is written once with SQLite's placeholders, `?` (the next number) and `?N` (number N);
// PostgreSQL numbers its parameters `$N`. This rewrites the first into the second, leaving
// string literals ('...'), quoted identifiers ("...") and comments alone (docs/architecture.md,
// "Store backends (SQLite and PostgreSQL)").
#pragma once

#include <string>
#include <string_view>

namespace jit::broker::db {

struct NumberedSql {
  std::string sql;          // with $1, $2...
  int parameter_count = 0;  // the highest parameter number
};

// Numbers as SQLite does: a bare `?` takes the highest number used so far plus one. Throws
// db::Error (other) for `?0`, a number above 32766, or an unterminated quote or comment.
NumberedSql number_placeholders(std::string_view sql);

// The number of parameters SQLite would see in `sql` (the same rule, without rewriting).
inline int placeholder_count(std::string_view sql) {
  return number_placeholders(sql).parameter_count;
}

}  // namespace jit::broker::db
