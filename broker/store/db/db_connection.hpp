// The backend-neutral database interface of the store (docs/architecture.md, "Store backends
// (SQLite and PostgreSQL)"): a connection, prepared statements with typed binds and checked
// getters, transactions and savepoints. SQL is written once with `?` / `?N` placeholders; the
// PostgreSQL backend turns them into `$n` (placeholders.hpp). Two implementations:
// sqlite_connection.hpp (over SQLiteCpp) and postgres_connection.hpp (over broker/store/pg/).
// Deliberately small and explicit: the queries stay SQL, no ORM.
#pragma once

#include "broker/broker_error.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace jit::broker::db {

enum class Backend { sqlite, postgresql };

enum class Failure {
  // The database is there but cannot serve now: disk full, locked, I/O error, connection lost,
  // a statement or lock timeout. Answered 503.
  unavailable,
  // A serialization failure or deadlock (PostgreSQL): the whole transaction may run again.
  retry,
  unique_violation,  // a duplicate key (answered 409 where a caller does not handle it)
  other,             // a bug of ours or a damaged database: 500
};

// Every failure of a db call, from either backend. Its message never holds a password or a value.
class Error : public std::runtime_error {
 public:
  Error(Failure failure, const std::string& message)
      : std::runtime_error(message), failure_(failure) {}
  Failure failure() const { return failure_; }
  // unavailable (unavailable, retry), conflict (unique_violation), internal (other).
  boost::system::error_code code() const;

 private:
  Failure failure_;
};

// One prepared statement of one backend. Indexes: parameters from 1, columns from 0 (as SQLite).
// Statement below checks the indexes and that a row is current before calling the getters.
class StatementBackend {
 public:
  virtual ~StatementBackend() = default;
  virtual int parameter_count() const = 0;
  virtual void bind_int64(int index, std::int64_t value) = 0;
  virtual void bind_text(int index, std::string_view value) = 0;
  virtual void bind_bytes(int index, std::span<const std::byte> value) = 0;
  virtual void bind_null(int index) = 0;
  // Runs the statement on the first call, then moves to the next row; false after the last.
  virtual bool step() = 0;
  // Runs a statement to its end; the rows it inserted, updated or deleted.
  virtual std::int64_t exec() = 0;
  // Runs a statement whose outcome its caller does not read (Statement::exec_deferred).
  virtual void exec_deferred() { exec(); }
  // Ready to run again; the bound values stay.
  virtual void reset() = 0;
  virtual int column_count() const = 0;
  // The getters throw Error(other) for NULL or a value of another type.
  virtual bool is_null(int column) const = 0;
  virtual std::int64_t get_int64(int column) const = 0;
  virtual double get_double(int column) const = 0;
  virtual std::string get_text(int column) const = 0;
  virtual std::vector<std::byte> get_bytes(int column) const = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Backend backend() const = 0;
  // Runs constant SQL without values (DDL, PRAGMA, several statements).
  virtual void exec_script(std::string_view sql) = 0;
  // A statement for `sql` (with `?` placeholders). `cached`: take it from the connection's
  // statement cache when it has one (the hot-path queries; statement_cache.hpp).
  virtual std::unique_ptr<StatementBackend> prepare(std::string_view sql, bool cached) = 0;
  // BEGIN for a transaction that will write: BEGIN IMMEDIATE on SQLite (takes the write lock
  // now), BEGIN on PostgreSQL (READ COMMITTED; rows are locked as they are touched).
  virtual void begin_write() = 0;
  // False once the connection is known to be lost (a PostgreSQL server that went away or ended
  // the session): the store's pools then drop it and open a new one for the next caller.
  virtual bool usable() const { return true; }
};

class Statement {
 public:
  // Prepares `sql` afresh on `connection`.
  Statement(Connection& connection, std::string_view sql);
  explicit Statement(std::unique_ptr<StatementBackend> backend) : backend_(std::move(backend)) {}

  void bind(int index, std::string_view value);
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, std::nullptr_t) { bind_null(index); }
  template <std::integral T>
  void bind(int index, T value) {
    if constexpr (std::is_same_v<T, bool>) {
      bind_int64(index, value ? 1 : 0);  // flags are 0/1 integers in both schemas
    } else if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (value > static_cast<T>(std::numeric_limits<std::int64_t>::max())) too_large(index);
      bind_int64(index, static_cast<std::int64_t>(value));
    } else {
      bind_int64(index, static_cast<std::int64_t>(value));
    }
  }
  template <typename T>
  void bind(int index, const std::optional<T>& value) {
    if (value) {
      bind(index, *value);
    } else {
      bind_null(index);
    }
  }
  void bind_int64(int index, std::int64_t value);
  void bind_bytes(int index, std::span<const std::byte> value);
  void bind_null(int index);

  bool step();
  std::int64_t exec();
  // exec() for a statement whose row count nobody reads. On the PostgreSQL writer's connection,
  // in pipeline mode during a batch, it is sent without waiting and its failure reaches the writer
  // later, which then rolls the job back (docs/architecture.md, "The writer on PostgreSQL"); a
  // caller must not act on its success before the job ends. Elsewhere it is exec().
  void exec_deferred();
  void reset();

  int column_count() const;
  bool is_null(int column) const;
  std::int64_t get_int64(int column) const;
  int get_int(int column) const;  // an int64 that must fit an int
  double get_double(int column) const;
  std::string get_text(int column) const;
  std::vector<std::byte> get_bytes(int column) const;
  std::optional<std::int64_t> get_optional_int64(int column) const;
  std::optional<std::string> get_optional_text(int column) const;

 private:
  void check_parameter(int index) const;
  void check_column(int column) const;
  [[noreturn]] static void too_large(int index);

  std::unique_ptr<StatementBackend> backend_;
  bool has_row_ = false;
};

// A statement from `connection`'s cache (prepared once per connection; see statement_cache.hpp).
inline Statement prepare_cached(Connection& connection, std::string_view sql) {
  return Statement(connection.prepare(sql, true));
}

// A write transaction; rolled back by the destructor unless committed.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

// SAVEPOINT `name` inside a transaction; rolled back to (and released) by the destructor unless
// released. `name` is constant SQL, never a value.
class Savepoint {
 public:
  Savepoint(Connection& connection, std::string name);
  ~Savepoint();
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  void release();
  void rollback();  // ROLLBACK TO and RELEASE: the changes since the savepoint are undone

 private:
  Connection& connection_;
  std::string name_;
  bool open_ = true;
};

}  // namespace jit::broker::db
