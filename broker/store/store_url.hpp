// Where a PostgreSQL store's libpq connection string comes from (docs/architecture.md, "Store
// backends (SQLite and PostgreSQL)"): an environment variable or a private file, never broker.yaml
// or the command line, since it may carry the password. Used by `serve` and every admin command
// that opens the configured store, and by `store check` / `store copy` for the database they name.
#pragma once

#include "config/broker_config.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace jit::broker {

// The connection string from the environment variable `url_env` or the file `url_file` (whole
// file, trailing whitespace removed), exactly one of them given. Throws runtime_error with one
// line (that never holds the string) when the variable is unset or empty, or the file unreadable,
// empty or readable by its group or others (it may hold the password).
std::string read_store_url(const std::optional<std::string>& url_env,
                           const std::optional<std::filesystem::path>& url_file);

// The connection string of the config's `store` section (backend postgresql); throws
// StoreOpenError "store: ..." with read_store_url's line.
std::string configured_store_url(const config::StoreSettings& store);

// True when the connection string (keyword form or URL) sets a password; libpq also reads
// passwords from PGPASSWORD and ~/.pgpass (PGPASSFILE), which this does not look at. A string
// libpq cannot parse counts as holding one, so it is never echoed or passed on by mistake.
bool conninfo_has_password(const std::string& conninfo);

}  // namespace jit::broker
