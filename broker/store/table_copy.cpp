#include "broker/store/table_copy.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

namespace jit::broker {
namespace {

// Table and column names cannot be statement parameters. Every name quoted here was read from the
// database's own catalog (never from input), and is quoted as an identifier ("user" is a reserved
// word in PostgreSQL).
std::string quoted_identifier(const std::string& name) {
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

ColumnKind column_kind(const std::string& table, const std::string& column,
                       const std::string& type) {
  const std::string name = lowercase(type);
  if (name == "integer" || name == "int" || name == "bigint" || name == "smallint") {
    return ColumnKind::integer;
  }
  if (name == "text" || name == "character varying") return ColumnKind::text;
  if (name == "blob" || name == "bytea") return ColumnKind::bytes;
  throw std::runtime_error("column " + table + "." + column + " has type " + type +
                           ", which store copy does not know");
}

// pending_ceremonies holds sign-ins under way for minutes (migrations.cpp, version 11): a copy
// leaves them behind, as a restart on SQLite does.
std::vector<std::string> table_names_of(db::Connection& db) {
  const bool postgres = db.backend() == db::Backend::postgresql;
  db::Statement query(
      db, postgres ? "SELECT table_name::text FROM information_schema.tables WHERE table_schema = "
                     "current_schema() AND table_type = 'BASE TABLE' AND table_name::text NOT IN "
                     "('jitbroker_schema', 'pending_ceremonies') ORDER BY 1"
                   : "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                     "'sqlite\\_%' ESCAPE '\\' ORDER BY name");
  std::vector<std::string> names;
  while (query.step()) names.push_back(query.get_text(0));
  return names;
}

TableLayout read_layout(db::Connection& db, const std::string& table) {
  TableLayout layout{table, {}, {}};
  const bool postgres = db.backend() == db::Backend::postgresql;
  db::Statement columns(
      db, postgres ? "SELECT column_name::text, data_type::text, CASE WHEN is_identity::text = "
                     "'YES' THEN 1::int8 ELSE 0::int8 END FROM "
                     "information_schema.columns WHERE table_schema = current_schema() AND "
                     "table_name::text = ? ORDER BY ordinal_position"
                   : "SELECT name, type, 0 FROM pragma_table_info(?) ORDER BY cid");
  columns.bind(1, table);
  while (columns.step()) {
    const std::string name = columns.get_text(0);
    layout.columns.push_back(
        {name, column_kind(table, name, columns.get_text(1)), columns.get_int64(2) != 0});
  }
  db::Statement references(
      db, postgres ? "SELECT DISTINCT referenced.relname::text FROM pg_catalog.pg_constraint k "
                     "JOIN pg_catalog.pg_class referenced ON referenced.oid = k.confrelid "
                     "WHERE k.contype = 'f' AND k.conrelid = to_regclass(?)"
                   : "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)");
  // to_regclass parses an identifier; SQLite's pragma takes the bare name.
  references.bind(1, postgres ? quoted_identifier(table) : table);
  while (references.step()) {
    std::string name = references.get_text(0);
    if (name != table) layout.references.push_back(std::move(name));
  }
  return layout;
}

// Parents before children (Kahn's algorithm over the foreign keys, by name among equals), so that
// every row a foreign key points to is in the target before the row that points to it.
std::vector<const TableLayout*> copy_order(const std::map<std::string, TableLayout>& tables) {
  std::vector<const TableLayout*> order;
  std::set<std::string> placed;
  while (order.size() < tables.size()) {
    bool progress = false;
    for (const auto& [name, layout] : tables) {
      if (placed.contains(name)) continue;
      const bool ready = std::all_of(layout.references.begin(), layout.references.end(),
                                     [&](const std::string& parent) {
                                       return placed.contains(parent) || !tables.contains(parent);
                                     });
      if (!ready) continue;
      order.push_back(&layout);
      placed.insert(name);
      progress = true;
    }
    if (!progress) throw std::runtime_error("the foreign keys between the tables form a cycle");
  }
  return order;
}

// The rows of one SELECT, one at a time. SQLite steps through the statement itself; PostgreSQL
// would hand over the whole result at once, so there the SELECT becomes a cursor of the caller's
// snapshot transaction and is fetched a page at a time.
class RowStream {
 public:
  static constexpr int kPageRows = 500;

  RowStream(db::Connection& db, const std::string& select, const std::string& cursor)
      : db_(db),
        cursor_(db.backend() == db::Backend::postgresql ? cursor : ""),
        query_(db, cursor_.empty()
                       ? select
                       : "FETCH FORWARD " + std::to_string(kPageRows) + " FROM " + cursor_) {
    if (!cursor_.empty()) db_.exec_script("DECLARE " + cursor_ + " NO SCROLL CURSOR FOR " + select);
  }
  ~RowStream() {
    if (cursor_.empty()) return;
    try {
      db_.exec_script("CLOSE " + cursor_);
    } catch (const db::Error&) {
      // The snapshot transaction ends right after (or has already failed); it closes the cursor.
    }
  }
  RowStream(const RowStream&) = delete;
  RowStream& operator=(const RowStream&) = delete;

  bool next() {
    if (done_) return false;
    if (query_.step()) {
      ++page_rows_;
      return true;
    }
    if (!cursor_.empty() && page_rows_ == kPageRows) {
      query_.reset();  // the next FETCH
      page_rows_ = 0;
      return next();
    }
    done_ = true;
    return false;
  }
  const db::Statement& row() const { return query_; }

 private:
  db::Connection& db_;
  std::string cursor_;
  db::Statement query_;
  int page_rows_ = 0;
  bool done_ = false;
};

std::int64_t copy_rows(db::Connection& source, db::Connection& target, const TableLayout& from,
                       const TableLayout& to, std::size_t index) {
  std::string names;
  std::string placeholders;
  std::vector<ColumnKind> kinds;
  for (const ColumnLayout& column : from.columns) {
    const auto in_target = std::find_if(to.columns.begin(), to.columns.end(),
                                        [&](const auto& c) { return c.name == column.name; });
    if (in_target == to.columns.end()) {
      throw std::runtime_error("the target has no column " + from.name + "." + column.name);
    }
    if (in_target->kind != column.kind) {
      throw std::runtime_error("column " + from.name + "." + column.name +
                               " has another type in the target");
    }
    names += (names.empty() ? "" : ", ") + quoted_identifier(column.name);
    placeholders += placeholders.empty() ? "?" : ", ?";
    kinds.push_back(column.kind);
  }
  const bool identity = std::any_of(to.columns.begin(), to.columns.end(),
                                    [](const ColumnLayout& c) { return c.identity; });
  // An identity column GENERATED ALWAYS takes a given value only when told to.
  db::Statement insert(target, "INSERT INTO " + quoted_identifier(to.name) + " (" + names + ")" +
                                   (identity ? " OVERRIDING SYSTEM VALUE" : "") + " VALUES (" +
                                   placeholders + ")");
  RowStream rows(source, "SELECT " + names + " FROM " + quoted_identifier(from.name),
                 "jit_copy_" + std::to_string(index));
  std::int64_t copied = 0;
  while (rows.next()) {
    const db::Statement& row = rows.row();
    insert.reset();
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      const int column = static_cast<int>(i);
      const int parameter = column + 1;
      if (row.is_null(column)) {
        insert.bind_null(parameter);
      } else if (kinds[i] == ColumnKind::integer) {
        insert.bind_int64(parameter, row.get_int64(column));
      } else if (kinds[i] == ColumnKind::text) {
        insert.bind(parameter, row.get_text(column));
      } else {
        insert.bind_bytes(parameter, row.get_bytes(column));
      }
    }
    insert.exec();
    ++copied;
  }
  return copied;
}

// After rows were inserted with their own ids, the sequence behind an identity column still
// stands at its start: move it past the largest id, or the broker's next insert would collide.
void advance_identity_sequences(db::Connection& target, const TableLayout& table) {
  for (const ColumnLayout& column : table.columns) {
    if (!column.identity) continue;
    db::Statement advance(target,
                          "SELECT setval(pg_get_serial_sequence(?, ?), coalesce((SELECT "
                          "max(" +
                              quoted_identifier(column.name) + ") FROM " +
                              quoted_identifier(table.name) + "), 0) + 1, false)");
    advance.bind(1, quoted_identifier(table.name));  // parsed as an identifier
    advance.bind(2, column.name);                    // taken literally
    advance.step();
  }
}

}  // namespace

std::vector<std::string> list_tables(db::Connection& db) { return table_names_of(db); }

std::map<std::string, TableLayout> read_table_layouts(db::Connection& db) {
  std::map<std::string, TableLayout> tables;
  for (const std::string& name : table_names_of(db)) tables.emplace(name, read_layout(db, name));
  return tables;
}

std::optional<std::string> first_table_with_rows(db::Connection& db) {
  for (const std::string& name : table_names_of(db)) {
    // The migrations seed `counters` with named counters at 0; a broker that ran has moved some.
    const std::string rows = name == "counters"
                                 ? "SELECT 1 FROM counters WHERE value <> 0 LIMIT 1"
                                 : "SELECT 1 FROM " + quoted_identifier(name) + " LIMIT 1";
    db::Statement query(db, rows);
    if (query.step()) return name;
  }
  return std::nullopt;
}

std::vector<TableCopied> copy_tables(db::Connection& source, db::Connection& target) {
  const auto from = read_table_layouts(source);
  const auto to = read_table_layouts(target);
  for (const auto& [name, layout] : from) {
    if (!to.contains(name)) throw std::runtime_error("the target has no table " + name);
  }
  const auto order = copy_order(to);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    db::Statement(target, "DELETE FROM " + quoted_identifier((*it)->name)).exec();
  }
  std::vector<TableCopied> copied;
  for (const TableLayout* table : order) {
    const auto in_source = from.find(table->name);
    if (in_source == from.end()) continue;  // a table only the target has stays empty
    copied.push_back(
        {table->name, copy_rows(source, target, in_source->second, *table, copied.size())});
    if (target.backend() == db::Backend::postgresql) advance_identity_sequences(target, *table);
  }
  return copied;
}

}  // namespace jit::broker
