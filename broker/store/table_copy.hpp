// Copies every table of one broker database into another of the other backend (`jit-broker store
// copy`, docs/operations.md "PostgreSQL"). Generic on purpose: the tables, their columns and the
// foreign keys between them are read from each database's catalog at run time (SQLite's
// pragma_table_info and pragma_foreign_key_list, PostgreSQL's information_schema and
// pg_constraint), so a migration that adds a table or a column needs no change here.
#pragma once

#include "broker/store/db/db_connection.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace jit::broker {

// How a column's values travel: SQLite INTEGER / PostgreSQL bigint, TEXT / text, BLOB / bytea.
enum class ColumnKind { integer, text, bytes };

struct ColumnLayout {
  std::string name;
  ColumnKind kind = ColumnKind::text;
  bool identity = false;  // PostgreSQL GENERATED ... AS IDENTITY: its sequence follows the copy
};

struct TableLayout {
  std::string name;
  std::vector<ColumnLayout> columns;    // in the table's order
  std::vector<std::string> references;  // tables its foreign keys point to
};

// The names of the tables read_table_layouts describes, without reading their columns.
std::vector<std::string> list_tables(db::Connection& db);

// The broker's tables of `db` by name (not PostgreSQL's jitbroker_schema, which holds the schema
// version, nor SQLite's own sqlite_* tables). Throws std::runtime_error for a column type that
// is none of the three kinds.
std::map<std::string, TableLayout> read_table_layouts(db::Connection& db);

// The first broker table of `db` that holds something beyond what the migrations put there (the
// counters, all at 0), or nothing when every table is empty in that sense.
std::optional<std::string> first_table_with_rows(db::Connection& db);

struct TableCopied {
  std::string table;
  std::int64_t rows = 0;
};

// Copies the rows of every table of `source` into `target`, which must have every table and column
// of the source with the same kinds (more columns are fine: they get their defaults). Runs inside
// the caller's read snapshot on `source` and write transaction on `target`: it first empties the
// target's tables (the counters the migrations seeded), then copies parents before children, one
// row in memory at a time (PostgreSQL sources are read through a cursor, a page at a time), keeping
// every value (ids, seqs, counters), and sets each PostgreSQL identity sequence past the largest
// copied id so that the next insert gets a new one. Returns the rows per table, in copy order.
// Throws std::runtime_error (a table or column the target lacks, a foreign-key cycle) or
// db::Error.
std::vector<TableCopied> copy_tables(db::Connection& source, db::Connection& target);

}  // namespace jit::broker
