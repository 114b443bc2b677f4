#include "broker/store/db/sqlite_connection.hpp"

#include "broker/store/db/placeholders.hpp"
#include "broker/store/statement_cache.hpp"

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

namespace jit::broker::db {
namespace {

// Runs `fn`, turning a SQLite exception into the db::Error of its kind.
template <typename Fn>
auto sqlite_guard(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const SQLite::Exception& e) {
    throw sqlite_error(e);
  }
}

class SqliteStatement final : public StatementBackend {
 public:
  explicit SqliteStatement(PreparedStatement statement) : statement_(std::move(statement)) {}

  int parameter_count() const override { return statement_->getBindParameterCount(); }
  void bind_int64(int index, std::int64_t value) override {
    sqlite_guard([&] { statement_->bind(index, static_cast<std::int64_t>(value)); });
  }
  void bind_text(int index, std::string_view value) override {
    sqlite_guard([&] { statement_->bind(index, std::string(value)); });
  }
  void bind_bytes(int index, std::span<const std::byte> value) override {
    sqlite_guard([&] { statement_->bind(index, value.data(), static_cast<int>(value.size())); });
  }
  void bind_null(int index) override {
    sqlite_guard([&] { statement_->bind(index); });
  }
  bool step() override {
    return sqlite_guard([&] { return statement_->executeStep(); });
  }
  std::int64_t exec() override {
    return sqlite_guard([&] { return static_cast<std::int64_t>(statement_->exec()); });
  }
  void reset() override {
    sqlite_guard([&] { statement_->reset(); });
  }
  int column_count() const override { return statement_->getColumnCount(); }
  bool is_null(int column) const override { return type_of(column) == SQLITE_NULL; }
  std::int64_t get_int64(int column) const override {
    expect(column, SQLITE_INTEGER, "an integer");
    return statement_->getColumn(column).getInt64();
  }
  double get_double(int column) const override {
    expect(column, SQLITE_FLOAT, "a real");
    return statement_->getColumn(column).getDouble();
  }
  std::string get_text(int column) const override {
    expect(column, SQLITE_TEXT, "text");
    return statement_->getColumn(column).getString();
  }
  std::vector<std::byte> get_bytes(int column) const override {
    expect(column, SQLITE_BLOB, "a blob");
    const SQLite::Column value = statement_->getColumn(column);
    const auto* data = static_cast<const std::byte*>(value.getBlob());
    return std::vector<std::byte>(data, data + value.getBytes());
  }

 private:
  int type_of(int column) const { return statement_->getColumn(column).getType(); }
  // The schema's STRICT tables hold one type per column; another type here is a wrong query.
  void expect(int column, int type, const char* what) const {
    if (type_of(column) != type) {
      throw Error(Failure::other, "column " + std::to_string(column) + " is not " + what);
    }
  }

  PreparedStatement statement_;
};

}  // namespace

Error sqlite_error(const SQLite::Exception& e) {
  switch (e.getErrorCode()) {
    case SQLITE_FULL:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
      return Error(Failure::unavailable, e.what());
    default:
      break;
  }
  const int extended = e.getExtendedErrorCode();
  if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Error(Failure::unique_violation, e.what());
  }
  return Error(Failure::other, e.what());
}

SqliteConnection::SqliteConnection(std::unique_ptr<SQLite::Database> database)
    : owned_(std::move(database)), database_(owned_.get()) {}

SqliteConnection::~SqliteConnection() {
  // Cached statements are finalized before the connection closes.
  if (owned_) drop_statement_cache(*owned_);
}

void SqliteConnection::exec_script(std::string_view sql) {
  try {
    database_->exec(std::string(sql));
  } catch (const SQLite::Exception& e) {
    throw sqlite_error(e);
  }
}

std::unique_ptr<StatementBackend> SqliteConnection::prepare(std::string_view sql, bool cached) {
  try {
    const std::string text(sql);
    PreparedStatement statement =
        cached ? jit::broker::prepare_cached(*database_, text)
               : PreparedStatement(std::make_unique<SQLite::Statement>(*database_, text));
    return std::make_unique<SqliteStatement>(std::move(statement));
  } catch (const SQLite::Exception& e) {
    throw sqlite_error(e);
  }
}

void SqliteConnection::begin_write() { exec_script("BEGIN IMMEDIATE"); }

}  // namespace jit::broker::db
