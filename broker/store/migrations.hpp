// Schema migrations, applied in order by `PRAGMA user_version`. A migration is never edited once it
// has shipped: a change to the schema is a new entry at the end of the list.
#pragma once

#include "broker/store/audit_chain.hpp"

#include <SQLiteCpp/Database.h>

#include <span>
#include <string_view>

namespace jit::broker {

struct Migration {
  int version;           // user_version after this migration
  std::string_view sql;  // one or more statements
  // Runs after `sql` in the same transaction, for a change SQL alone cannot make (re-keying the
  // audit chain needs the key, which is never in the database).
  void (*rewrite)(SQLite::Database& db, const AuditChainKey& key) = nullptr;
};

std::span<const Migration> all_migrations();

// The newest schema this build understands.
int latest_schema_version();

// Brings the database to `target` (default: latest) in one transaction per migration. Throws
// SchemaError when the file is from a newer build, so an old binary never writes to it. `key` keys
// the audit chain (from version 6 on).
void migrate(SQLite::Database& db, const AuditChainKey& key, int target);
void migrate(SQLite::Database& db, const AuditChainKey& key);

// The first schema version whose audit chain is keyed.
inline constexpr int kKeyedAuditSchemaVersion = 6;

int schema_version(SQLite::Database& db);

}  // namespace jit::broker
