#include "broker/store/db/db_connection.hpp"

namespace jit::broker::db {

boost::system::error_code Error::code() const {
  switch (failure_) {
    case Failure::unavailable:
    case Failure::retry:
      return BrokerErrc::unavailable;
    case Failure::unique_violation:
      return BrokerErrc::conflict;
    case Failure::other:
      break;
  }
  return BrokerErrc::internal;
}

Statement::Statement(Connection& connection, std::string_view sql)
    : backend_(connection.prepare(sql, false)) {}

void Statement::check_parameter(int index) const {
  if (index < 1 || index > backend_->parameter_count()) {
    throw Error(Failure::other, "no parameter " + std::to_string(index) + " in the statement");
  }
}

void Statement::check_column(int column) const {
  if (!has_row_) throw Error(Failure::other, "no current row");
  if (column < 0 || column >= backend_->column_count()) {
    throw Error(Failure::other, "no column " + std::to_string(column) + " in the result");
  }
}

void Statement::too_large(int index) {
  throw Error(Failure::other, "parameter " + std::to_string(index) + " does not fit 64 bits");
}

void Statement::bind(int index, std::string_view value) {
  check_parameter(index);
  backend_->bind_text(index, value);
}

void Statement::bind_int64(int index, std::int64_t value) {
  check_parameter(index);
  backend_->bind_int64(index, value);
}

void Statement::bind_bytes(int index, std::span<const std::byte> value) {
  check_parameter(index);
  backend_->bind_bytes(index, value);
}

void Statement::bind_null(int index) {
  check_parameter(index);
  backend_->bind_null(index);
}

bool Statement::step() {
  has_row_ = backend_->step();
  return has_row_;
}

std::int64_t Statement::exec() {
  has_row_ = false;
  return backend_->exec();
}

void Statement::exec_deferred() {
  has_row_ = false;
  backend_->exec_deferred();
}

void Statement::reset() {
  has_row_ = false;
  backend_->reset();
}

int Statement::column_count() const { return backend_->column_count(); }

bool Statement::is_null(int column) const {
  check_column(column);
  return backend_->is_null(column);
}

std::int64_t Statement::get_int64(int column) const {
  check_column(column);
  return backend_->get_int64(column);
}

int Statement::get_int(int column) const {
  const std::int64_t value = get_int64(column);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    throw Error(Failure::other, "column " + std::to_string(column) + " does not fit an int");
  }
  return static_cast<int>(value);
}

double Statement::get_double(int column) const {
  check_column(column);
  return backend_->get_double(column);
}

std::string Statement::get_text(int column) const {
  check_column(column);
  return backend_->get_text(column);
}

std::vector<std::byte> Statement::get_bytes(int column) const {
  check_column(column);
  return backend_->get_bytes(column);
}

std::optional<std::int64_t> Statement::get_optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return backend_->get_int64(column);
}

std::optional<std::string> Statement::get_optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return backend_->get_text(column);
}

Transaction::Transaction(Connection& connection) : connection_(connection) {
  connection_.begin_write();
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    connection_.exec_script("ROLLBACK");
  } catch (const Error&) {
    // The connection is gone or the transaction already ended: the server rolled back for us.
  }
}

void Transaction::commit() {
  connection_.exec_script("COMMIT");
  open_ = false;  // after: a COMMIT that failed (SQLite busy) leaves the rollback to the destructor
}

Savepoint::Savepoint(Connection& connection, std::string name)
    : connection_(connection), name_(std::move(name)) {
  connection_.prepare("SAVEPOINT " + name_, true)->exec();
}

Savepoint::~Savepoint() {
  if (!open_) return;
  try {
    rollback();
  } catch (const Error&) {
    // The enclosing transaction failed as a whole; its owner rolls it back.
  }
}

void Savepoint::release() {
  open_ = false;
  connection_.prepare("RELEASE " + name_, true)->exec();
}

void Savepoint::rollback() {
  open_ = false;
  connection_.prepare("ROLLBACK TO " + name_, true)->exec();
  connection_.prepare("RELEASE " + name_, true)->exec();
}

}  // namespace jit::broker::db
