// `jit-broker backup FILE` and `jit-broker restore FILE`: an online copy of the broker's SQLite
// database and its way back into a new data folder (docs/operations.md, "Backup and restore").
// Only the database: the data key and the CA keys are files the operator copies beside it. Both
// refuse a PostgreSQL store with one line naming pg_dump and pg_basebackup.
#pragma once

#include "config/broker_config.hpp"

#include <filesystem>
#include <iosfwd>

namespace jit::broker {

// Copies <data_dir>/broker.db to `file` while a broker may be serving on it: one read snapshot
// (WAL: it never blocks the broker's writes), copied with SQLite's online backup API a few pages
// per step into a temporary file beside `file`, checked, made mode 0600 and renamed over `file`.
// Prints "backed up ... audit head HASH after N records" (what `audit verify --head HASH
// --expect-records N` checks on the restored copy). Throws with one line when the database is
// missing or `file` cannot be written; a failed backup leaves `file` as it was.
int run_backup(const config::BrokerConfig& config, const std::filesystem::path& file,
               std::ostream& out);

// Copies the backup `file` into <data_dir>/broker.db (mode 0600). Refuses (throws, one line) when
// that data folder already has a database or a broker holds it, and when `file` is not a whole
// jitbroker database: unreadable, failing PRAGMA integrity_check, without the broker's schema, or
// from a newer jit-broker than this one.
int run_restore(const config::BrokerConfig& config, const std::filesystem::path& file,
                std::ostream& out);

}  // namespace jit::broker
