// Binding an optional value to a SQLite parameter: NULL when it is empty. Shared by the files of
// broker/store/ that write rows.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <optional>

namespace jit::broker {

template <typename T>
void bind_optional(SQLite::Statement& statement, int index, const std::optional<T>& value) {
  if (value) {
    statement.bind(index, *value);
  } else {
    statement.bind(index);
  }
}

}  // namespace jit::broker
