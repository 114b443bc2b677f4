// Schema migrations, applied in order by `PRAGMA user_version` (SQLite) or the one-row table
// jitbroker_schema (PostgreSQL). A migration is never edited once it has shipped: a change to the
// schema is a new entry at the end of the list, with its SQLite text and its PostgreSQL text (the
// SQL differences stay here). A PostgreSQL database starts at the baseline of postgres_schema.hpp
// (version 9): entries up to it have no PostgreSQL text.
#pragma once

#include "broker/store/audit_chain.hpp"
#include "broker/store/db/db_connection.hpp"

#include <span>
#include <string_view>

namespace jit::broker {

struct Migration {
  int version;           // user_version after this migration
  std::string_view sql;  // one or more statements
  // Runs after `sql` in the same transaction, for a change SQL alone cannot make (re-keying the
  // audit chain needs the key, which is never in the database).
  void (*rewrite)(db::Connection& db, const AuditChainKey& key) = nullptr;
  std::string_view postgresql = {};  // the same change for PostgreSQL (after the baseline)
};

std::span<const Migration> all_migrations();

// The newest schema this build understands.
int latest_schema_version();

// Brings the database to `target` (default: latest) in one transaction per migration (one for all
// of them on PostgreSQL, under an advisory lock). Throws SchemaError when the database is from a
// newer build, so an old binary never writes to it. `key` keys
// the audit chain (from version 6 on).
void migrate(db::Connection& db, const AuditChainKey& key, int target);
void migrate(db::Connection& db, const AuditChainKey& key);

// The first schema version whose audit chain is keyed.
inline constexpr int kKeyedAuditSchemaVersion = 6;

int schema_version(db::Connection& db);

}  // namespace jit::broker
