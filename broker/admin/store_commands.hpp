// `jit-broker store check`: can this broker use that PostgreSQL database? (docs/architecture.md,
// "Store backends (SQLite and PostgreSQL)"; docs/operations.md, "PostgreSQL"). Reached before any
// broker config exists, so an operator can check the database the DBA handed over first.
#pragma once

#include <iosfwd>
#include <string>

namespace jit::broker {

// Connects and prints the server version, whether TLS is in use, the database, role and schema,
// what the schema holds (nothing, a jitbroker schema of version N, or other tables) and whether
// the role may create tables there. Returns 0 when this jit-broker could use the database, 1 when
// it is reachable but not usable (a newer jitbroker schema, other tables only, or an empty schema
// the role cannot create tables in); the last line says which. Throws pg::Error (one line,
// never the password) when the server cannot be reached or refuses the login.
int run_store_check(const std::string& conninfo, std::ostream& out);

}  // namespace jit::broker
