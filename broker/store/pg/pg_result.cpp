#include "broker/store/pg/pg_result.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>

namespace jit::broker::pg {
namespace {

// Type OIDs from PostgreSQL's pg_type.dat (stable across versions).
constexpr unsigned kBoolOid = 16;
constexpr unsigned kByteaOid = 17;
constexpr unsigned kNameOid = 19;
constexpr unsigned kInt8Oid = 20;
constexpr unsigned kInt2Oid = 21;
constexpr unsigned kInt4Oid = 23;
constexpr unsigned kTextOid = 25;
constexpr unsigned kOidOid = 26;
constexpr unsigned kFloat8Oid = 701;
constexpr unsigned kBpcharOid = 1042;
constexpr unsigned kVarcharOid = 1043;

[[noreturn]] void bad_result(const std::string& what) {
  throw Error(Failure::other, "", "PostgreSQL result: " + what);
}

// Big-endian (network order) unsigned integer of `bytes.size()` bytes.
std::uint64_t read_big_endian(std::string_view bytes) {
  std::uint64_t value = 0;
  for (const char byte : bytes) value = (value << 8) | static_cast<unsigned char>(byte);
  return value;
}

std::string big_endian(std::uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

}  // namespace

BoundParams::BoundParams(std::string_view sql, std::span<const Param> params) : key(sql) {
  for (const Param& param : params) {
    key += '\0' + std::to_string(param.type_oid());
    types.push_back(param.type_oid());
    values.push_back(param.is_null() ? nullptr : param.binary().data());
    lengths.push_back(static_cast<int>(param.binary().size()));
    formats.push_back(1);
  }
}

Param::Param(std::nullptr_t) : null_(true) {}
Param::Param(std::int64_t value) : Param(kInt8Oid, big_endian(static_cast<std::uint64_t>(value))) {}
Param::Param(bool value) : Param(kBoolOid, std::string(1, value ? '\1' : '\0')) {}
Param::Param(std::string_view value) : Param(kTextOid, std::string(value)) {}
Param Param::bytes(std::span<const std::uint8_t> value) {
  return Param(kByteaOid, std::string(value.begin(), value.end()));
}

void Result::Clear::operator()(pg_result* result) const { PQclear(result); }

Result::Result(pg_result* result) : result_(result) {
  if (result == nullptr) bad_result("no result");
}

int Result::rows() const { return PQntuples(result_.get()); }
int Result::columns() const { return PQnfields(result_.get()); }

std::int64_t Result::affected_rows() const {
  const char* text = PQcmdTuples(result_.get());
  std::int64_t count = 0;
  std::from_chars(text, text + std::strlen(text), count);
  return count;
}

std::string Result::command_status() const { return PQcmdStatus(result_.get()); }

int Result::column(std::string_view name) const {
  for (int i = 0; i < columns(); ++i) {
    if (name == PQfname(result_.get(), i)) return i;
  }
  bad_result("no column " + std::string(name));
}

bool Result::is_null(int row, int column) const {
  if (row < 0 || row >= rows() || column < 0 || column >= columns()) {
    bad_result("row " + std::to_string(row) + " column " + std::to_string(column) +
               " is out of range");
  }
  return PQgetisnull(result_.get(), row, column) != 0;
}

bool Result::binary(int column) const { return PQfformat(result_.get(), column) == 1; }

std::string_view Result::cell(int row, int column, std::initializer_list<unsigned> types) const {
  if (is_null(row, column)) {
    bad_result("column " + std::string(PQfname(result_.get(), column)) + " is NULL");
  }
  const unsigned type = PQftype(result_.get(), column);
  if (std::find(types.begin(), types.end(), type) == types.end()) {
    bad_result("column " + std::string(PQfname(result_.get(), column)) + " has type oid " +
               std::to_string(type) + ", not the one asked for");
  }
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t Result::get_int64(int row, int column) const {
  const std::string_view value = cell(row, column, {kInt2Oid, kInt4Oid, kInt8Oid, kOidOid});
  const unsigned type = PQftype(result_.get(), column);
  if (!binary(column)) {
    std::int64_t parsed = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (ec != std::errc() || end != value.data() + value.size()) bad_result("not an integer");
    return parsed;
  }
  const std::size_t width = type == kInt8Oid ? 8 : type == kInt2Oid ? 2 : 4;
  if (value.size() != width) bad_result("integer of the wrong length");
  const std::uint64_t raw = read_big_endian(value);
  if (type == kOidOid) return static_cast<std::int64_t>(raw);
  // Sign-extend from `width` bytes.
  const unsigned shift = static_cast<unsigned>(64 - 8 * width);
  return static_cast<std::int64_t>(raw << shift) >> shift;
}

bool Result::get_bool(int row, int column) const {
  const std::string_view value = cell(row, column, {kBoolOid});
  if (value.size() != 1) bad_result("boolean of the wrong length");
  return binary(column) ? value[0] != 0 : value[0] == 't';
}

double Result::get_double(int row, int column) const {
  const std::string_view value = cell(row, column, {kFloat8Oid});
  if (!binary(column)) return std::stod(std::string(value));
  if (value.size() != 8) bad_result("float8 of the wrong length");
  return std::bit_cast<double>(read_big_endian(value));
}

std::string Result::get_text(int row, int column) const {
  return std::string(cell(row, column, {kTextOid, kVarcharOid, kBpcharOid, kNameOid}));
}

std::vector<std::uint8_t> Result::get_bytes(int row, int column) const {
  const std::string_view value = cell(row, column, {kByteaOid});
  if (binary(column)) return {value.begin(), value.end()};
  std::size_t length = 0;
  const std::unique_ptr<unsigned char, decltype(&PQfreemem)> raw(
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(std::string(value).c_str()), &length),
      &PQfreemem);
  if (raw == nullptr) bad_result("bytea text that does not decode");
  return {raw.get(), raw.get() + length};
}

std::optional<std::int64_t> Result::get_optional_int64(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return get_int64(row, column);
}

std::optional<std::string> Result::get_optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return get_text(row, column);
}

}  // namespace jit::broker::pg
