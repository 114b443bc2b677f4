// Query parameters and results of the PostgreSQL layer (docs/architecture.md, "Store backends").
// Parameters travel in binary with their type (int8, bool, text, bytea), so a value is never part
// of the SQL text. Results come back in binary from prepared statements (text from constant
// scripts); the getters read either, check the row and column are in range, the column's type is
// the one asked for and the value's length is that type's, and throw pg::Error (other) otherwise.
#pragma once

#include "broker/store/pg/pg_error.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct pg_result;  // libpq's PGresult; libpq-fe.h stays out of the headers

namespace jit::broker::pg {

// One parameter: its PostgreSQL type and its binary value, or SQL NULL.
class Param {
 public:
  Param(std::nullptr_t);  // NULL of a type the server infers
  Param(std::int64_t value);
  Param(int value) : Param(static_cast<std::int64_t>(value)) {}
  Param(bool value);
  Param(std::string_view value);
  Param(const std::string& value) : Param(std::string_view(value)) {}
  Param(const char* value) : Param(std::string_view(value)) {}
  template <typename T>
  Param(const std::optional<T>& value) : Param(nullptr) {
    if (value) *this = Param(*value);
  }
  static Param bytes(std::span<const std::uint8_t> value);  // bytea

  unsigned type_oid() const { return type_oid_; }
  bool is_null() const { return null_; }
  const std::string& binary() const { return binary_; }

 private:
  Param(unsigned type_oid, std::string binary) : type_oid_(type_oid), binary_(std::move(binary)) {}
  unsigned type_oid_ = 0;
  bool null_ = false;
  std::string binary_;
};

// `params` as libpq takes them, every value in binary: types, values (null for NULL), lengths
// and formats; and `key`, the SQL with those types, under which a connection keeps the statement
// prepared (a statement is prepared for one set of parameter types).
struct BoundParams {
  BoundParams(std::string_view sql, std::span<const Param> params);
  int count() const { return static_cast<int>(values.size()); }
  std::string key;
  std::vector<unsigned> types;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

class Result {
 public:
  explicit Result(pg_result* result);
  int rows() const;
  int columns() const;
  // Rows an INSERT, UPDATE or DELETE touched (0 for other statements).
  std::int64_t affected_rows() const;
  // The command tag without its counts' meaning: "COMMIT", "ROLLBACK", "INSERT 0 1"...
  std::string command_status() const;
  // The index of column `name`; throws when the result has no such column.
  int column(std::string_view name) const;

  bool is_null(int row, int column) const;
  std::int64_t get_int64(int row, int column) const;  // int2, int4, int8, oid
  bool get_bool(int row, int column) const;
  double get_double(int row, int column) const;                    // float8
  std::string get_text(int row, int column) const;                 // text, varchar, char(n), name
  std::vector<std::uint8_t> get_bytes(int row, int column) const;  // bytea
  std::optional<std::int64_t> get_optional_int64(int row, int column) const;
  std::optional<std::string> get_optional_text(int row, int column) const;

 private:
  struct Clear {
    void operator()(pg_result* result) const;
  };
  // The value's bytes after checking the cell exists, is not NULL and has one of `types`.
  std::string_view cell(int row, int column, std::initializer_list<unsigned> types) const;
  bool binary(int column) const;

  std::unique_ptr<pg_result, Clear> result_;
};

}  // namespace jit::broker::pg
