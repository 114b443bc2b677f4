// The PostgreSQL backend of the db interface (db_connection.hpp), over broker/store/pg/. SQL
// written with `?` placeholders is numbered `$n` (placeholders.hpp); values travel as typed binary
// parameters (int8, text, bytea), so the bound types must match the columns. pg::Error leaves it
// as db::Error: connection, timeout and retry kinds are `unavailable` (retry keeps its own kind),
// a duplicate key is `unique_violation`.
#pragma once

#include "broker/store/db/db_connection.hpp"
#include "broker/store/pg/pg_connection.hpp"

#include <cstddef>
#include <optional>

namespace jit::broker::db {

// A statement sent without waiting that failed (pg::DeferredFailure, as a db::Error).
struct DeferredFailure {
  std::size_t tag = 0;
  Error error;
};

class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(pg::Connection connection) : connection_(std::move(connection)) {}
  // Connects with a libpq connection string or URL; throws db::Error (unavailable for an
  // unreachable server or a wrong password).
  static std::unique_ptr<PostgresConnection> connect(const std::string& conninfo);

  Backend backend() const override { return Backend::postgresql; }
  void exec_script(std::string_view sql) override;
  std::unique_ptr<StatementBackend> prepare(std::string_view sql, bool cached) override;
  void begin_write() override;
  bool usable() const override { return connection_.ok(); }

  // Pipeline mode, for the writer's batches (pg::Connection::enter_pipeline). exit_pipeline()
  // gives up a connection it cannot bring back to idle (usable() false) and never throws.
  void enter_pipeline();
  void exit_pipeline() noexcept;
  // Tags the statements sent from now on (a job's index), for take_deferred_failure().
  void set_deferred_tag(std::size_t tag) { connection_.set_deferred_tag(tag); }
  // One statement without values (SAVEPOINT, RELEASE), sent without waiting in pipeline mode.
  void exec_script_deferred(std::string_view sql);
  // The first deferred statement that failed since the last call, with its tag.
  std::optional<DeferredFailure> take_deferred_failure();
  // COMMIT; throws unless the server committed.
  void commit();

  pg::Connection& pg() { return connection_; }

 private:
  pg::Connection connection_;
};

Error postgres_error(const pg::Error& e);

}  // namespace jit::broker::db
