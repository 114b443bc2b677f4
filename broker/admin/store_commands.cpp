#include "broker/admin/store_commands.hpp"

#include "broker/store/migrations.hpp"
#include "broker/store/pg/pg_connection.hpp"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace jit::broker {
namespace {

// The PostgreSQL schema records its version in this table (one row), the counterpart of SQLite's
// PRAGMA user_version (docs/architecture.md, "Store backends").
constexpr const char* kPgSchemaVersionTable = "jitbroker_schema";

struct SchemaFacts {
  std::string database;
  std::string role;
  std::optional<std::string> schema;  // current_schema(): none when the search_path names none
  bool can_create = false;
  std::int64_t tables = 0;
  std::optional<std::int64_t> version;  // of the jitbroker schema, when there is one
};

SchemaFacts read_schema_facts(pg::Connection& connection) {
  SchemaFacts facts;
  const pg::Result who = connection.execute(
      "SELECT current_database()::text, current_user::text, current_schema()::text, "
      "coalesce(has_schema_privilege(current_schema(), 'CREATE'), false)");
  facts.database = who.get_text(0, 0);
  facts.role = who.get_text(0, 1);
  facts.schema = who.get_optional_text(0, 2);
  facts.can_create = who.get_bool(0, 3);
  if (!facts.schema) return facts;
  facts.tables = connection
                     .execute(
                         "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                         " ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN "
                         "('r', 'p')",
                         {*facts.schema})
                     .get_int64(0, 0);
  const bool has_version_table =
      connection.execute("SELECT to_regclass($1) IS NOT NULL", {kPgSchemaVersionTable})
          .get_bool(0, 0);
  if (has_version_table) {
    // A table name is an identifier, not a value: the constant above, never input.
    facts.version = connection
                        .execute(std::string("SELECT coalesce(max(version), 0)::int8 FROM ") +
                                 kPgSchemaVersionTable)
                        .get_int64(0, 0);
  }
  return facts;
}

}  // namespace

int run_store_check(const std::string& conninfo, std::ostream& out) {
  pg::Connection connection = pg::Connection::connect(conninfo);
  const int version = connection.server_version();
  out << "server: PostgreSQL " << version / 10000 << "." << version % 10000 << "\n";
  out << "tls: " << (connection.tls_in_use() ? connection.tls_description() : "not in use") << "\n";
  pg::Transaction snapshot(connection, pg::Isolation::repeatable_read, /*read_only=*/true);
  const SchemaFacts facts = read_schema_facts(connection);
  snapshot.commit();
  out << "database: " << facts.database << ", role " << facts.role << ", schema "
      << facts.schema.value_or("(none on the search_path)") << "\n";
  if (facts.version) {
    out << "contents: jitbroker schema version " << *facts.version
        << " (this jit-broker: " << latest_schema_version() << ")\n";
  } else if (facts.tables == 0) {
    out << "contents: empty\n";
  } else {
    out << "contents: other tables (" << facts.tables << "), not a jitbroker schema\n";
  }
  out << "create tables: " << (facts.can_create ? "yes" : "no") << "\n";

  std::string problem;
  if (!facts.schema) {
    problem = "the role's search_path names no schema";
  } else if (facts.version && *facts.version > latest_schema_version()) {
    problem = "the jitbroker schema is newer than this jit-broker understands; upgrade jit-broker";
  } else if (!facts.version && facts.tables > 0) {
    problem = "the schema holds other tables; give jitbroker a database or schema of its own";
  } else if (!facts.version && !facts.can_create) {
    problem = "role " + facts.role + " may not create tables in schema " + *facts.schema +
              " (GRANT CREATE ON SCHEMA " + *facts.schema + " TO " + facts.role + ")";
  }
  if (!problem.empty()) {
    out << "not usable: " << problem << "\n";
    return 1;
  }
  out << "usable by this jit-broker\n";
  return 0;
}

}  // namespace jit::broker
