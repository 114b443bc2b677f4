// `jit-broker store copy`: moves a broker's whole database between SQLite and PostgreSQL
// (docs/operations.md, "PostgreSQL"), SQLite into an empty PostgreSQL database, or PostgreSQL into
// a new SQLite file for the way back. The copy is a database a broker can serve from at once: the
// same schema version, every id, seq and counter kept, the audit chain verified under the same
// key before the copy is committed.
#pragma once

#include "config/broker_config.hpp"

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace jit::broker {

struct StoreCopyOptions {
  // The source: the config's store unless one of these names another.
  std::optional<std::filesystem::path> from_sqlite;
  std::optional<std::string> from_url_env;
  std::optional<std::filesystem::path> from_url_file;
  // The target: exactly one. `to_url` is refused when it holds a password (the command line is
  // visible to every user of the machine and kept in shell histories).
  std::optional<std::string> to_url_env;
  std::optional<std::filesystem::path> to_url_file;
  std::optional<std::string> to_url;
  std::optional<std::filesystem::path> to_sqlite;
};

// Copies the source store into the target and prints the rows per table, the audit records and
// the head hash. Refuses (throws, one line, no row copied; a PostgreSQL target may keep the empty
// schema, which a second attempt accepts) when the source and target are the
// same backend, the source schema is newer than this jit-broker, the target is not empty (a table
// with rows, another schema version, other tables, an existing SQLite file), the data key is
// missing, a broker holds the SQLite side's data folder, or the copied audit chain does not verify
// to the source's head. A SQLite target that fails is removed again.
int run_store_copy(const config::BrokerConfig& config, const StoreCopyOptions& options,
                   std::ostream& out);

}  // namespace jit::broker
