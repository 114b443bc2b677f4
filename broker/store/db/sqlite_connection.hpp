// The SQLite backend of the db interface (db_connection.hpp), over SQLiteCpp. It owns its
// SQLite::Database (or borrows one a SQLite-only tool opened); sqlite() hands it out for what only
// SQLite has (the backup API, WAL checkpoints, PRAGMAs). SQLite exceptions leave it as db::Error:
// busy, locked, full, I/O and read-only databases are `unavailable`, a UNIQUE or PRIMARY KEY
// violation is `unique_violation`.
#pragma once

#include "broker/store/db/db_connection.hpp"

#include <SQLiteCpp/Database.h>

#include <memory>

namespace SQLite {
class Exception;
}

namespace jit::broker::db {

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(std::unique_ptr<SQLite::Database> database);
  // Uses `database` without owning it; it must outlive this connection.
  explicit SqliteConnection(SQLite::Database& database) : database_(&database) {}
  ~SqliteConnection() override;

  Backend backend() const override { return Backend::sqlite; }
  void exec_script(std::string_view sql) override;
  std::unique_ptr<StatementBackend> prepare(std::string_view sql, bool cached) override;
  void begin_write() override;

  SQLite::Database& sqlite() { return *database_; }

 private:
  std::unique_ptr<SQLite::Database> owned_;
  SQLite::Database* database_;
};

// The db::Error for a SQLite failure (the kinds above; the message is SQLite's, which names no
// bound value).
Error sqlite_error(const SQLite::Exception& e);

}  // namespace jit::broker::db
