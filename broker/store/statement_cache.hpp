// Prepared statements kept per connection for the queries on the hot path (authenticate, mint,
// audit). Preparing a statement parses and plans its SQL, which cost more than running it; a
// cached statement is only reset and rebound. Only connections the Store opened have a cache; on
// any other connection `prepare_cached` prepares a fresh statement, so callers need not care.
//
// A connection is used by one thread at a time (the writer, or the holder of a read lease), so a
// cache needs no lock of its own; only the registry that maps connections to caches is shared.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <memory>
#include <string>

namespace jit::broker {

struct CachedStatementEntry;

// A statement for the length of one use. When it came from the cache, the destructor resets it and
// clears its bindings, so no read transaction stays open and no value lingers for the next use.
class PreparedStatement {
 public:
  explicit PreparedStatement(std::unique_ptr<SQLite::Statement> own) : own_(std::move(own)) {}
  explicit PreparedStatement(CachedStatementEntry& cached);
  ~PreparedStatement();
  PreparedStatement(PreparedStatement&& other) noexcept;
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;
  PreparedStatement& operator=(PreparedStatement&&) = delete;

  SQLite::Statement& operator*() const { return *statement_(); }
  SQLite::Statement* operator->() const { return statement_(); }

 private:
  SQLite::Statement* statement_() const;

  std::unique_ptr<SQLite::Statement> own_;
  CachedStatementEntry* cached_ = nullptr;
};

// The statement for `sql` on `db`: from db's cache when it has one and the statement is not in use
// already (a nested use of the same SQL gets a fresh one), else freshly prepared.
PreparedStatement prepare_cached(SQLite::Database& db, const std::string& sql);

// Gives `db` a cache (at most `capacity` statements; further SQL is prepared each time). Call
// `drop_statement_cache` before the connection closes: cached statements must be finalized first.
void enable_statement_cache(SQLite::Database& db, std::size_t capacity = 64);
void drop_statement_cache(SQLite::Database& db);

}  // namespace jit::broker
