// Schema migrations, applied in order by `PRAGMA user_version`. A migration is never edited once it
// has shipped: a change to the schema is a new entry at the end of the list.
#pragma once

#include <SQLiteCpp/Database.h>

#include <span>
#include <string_view>

namespace jit::broker {

struct Migration {
  int version;           // user_version after this migration
  std::string_view sql;  // one or more statements
};

std::span<const Migration> all_migrations();

// The newest schema this build understands.
int latest_schema_version();

// Brings the database to `target` (default: latest) in one transaction per migration. Throws
// SchemaError when the file is from a newer build, so an old binary never writes to it.
void migrate(SQLite::Database& db, int target);
void migrate(SQLite::Database& db);

int schema_version(SQLite::Database& db);

}  // namespace jit::broker
