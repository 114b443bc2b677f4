#include "broker/admin/store_copy_command.hpp"

#include "broker/auth/data_key.hpp"
#include "broker/auth/derived_keys.hpp"
#include "broker/data_dir.hpp"
#include "broker/store/audit_chain.hpp"
#include "broker/store/db/postgres_connection.hpp"
#include "broker/store/db/sqlite_connection.hpp"
#include "broker/store/migrations.hpp"
#include "broker/store/postgres_schema.hpp"
#include "broker/store/store.hpp"
#include "broker/store/store_error.hpp"
#include "broker/store/store_url.hpp"
#include "broker/store/table_copy.hpp"

#include <SQLiteCpp/Exception.h>

#include <algorithm>
#include <iomanip>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <vector>

namespace jit::broker {
namespace {

namespace fs = std::filesystem;

// One side of the copy. `conninfo` may hold a password: it goes to libpq only, `label` to output.
struct Endpoint {
  db::Backend backend = db::Backend::sqlite;
  fs::path file;         // SQLite
  std::string conninfo;  // PostgreSQL
  std::string label;
};

Endpoint sqlite_endpoint(fs::path file) {
  std::string label = "SQLite database " + file.string();
  return {db::Backend::sqlite, std::move(file), {}, std::move(label)};
}

Endpoint postgres_endpoint(const std::optional<std::string>& env,
                           const std::optional<fs::path>& file) {
  std::string label =
      "PostgreSQL database (" +
      (env ? "environment variable " + *env : "connection string file " + file->string()) + ")";
  return {db::Backend::postgresql, {}, read_store_url(env, file), std::move(label)};
}

Endpoint copy_source(const config::BrokerConfig& config, const StoreCopyOptions& options) {
  if (options.from_sqlite) return sqlite_endpoint(*options.from_sqlite);
  if (options.from_url_env || options.from_url_file) {
    return postgres_endpoint(options.from_url_env, options.from_url_file);
  }
  if (config.store.backend == config::StoreBackend::postgresql) {
    return postgres_endpoint(config.store.url_env, config.store.url_file);
  }
  return sqlite_endpoint(config.data_dir / "broker.db");
}

Endpoint copy_target(const StoreCopyOptions& options) {
  if (options.to_sqlite) return sqlite_endpoint(*options.to_sqlite);
  if (options.to_url) {
    if (conninfo_has_password(*options.to_url)) {
      throw std::runtime_error(
          "--to holds a password, which the command line shows to every user of this machine; "
          "use --to-url-env VAR or --to-url-file FILE (mode 0600), or a PGPASSFILE");
    }
    return {db::Backend::postgresql, {}, *options.to_url, "PostgreSQL database (--to)"};
  }
  if (!options.to_url_env && !options.to_url_file) {
    throw std::runtime_error(
        "give the target: --to-url-env VAR, --to-url-file FILE or --to-sqlite");
  }
  return postgres_endpoint(options.to_url_env, options.to_url_file);
}

fs::path folder_holding(const fs::path& file) {
  const fs::path folder = file.parent_path();
  return folder.empty() ? fs::path(".") : folder;
}

// The data-folder locks a broker takes (data_dir.hpp): of the config's data folder when the source
// is the config's own store, and of the SQLite side's folder, so that no broker serves from the
// source or starts on the target while the copy runs. One lock per folder (flock would refuse a
// second one of the same process).
std::vector<std::unique_ptr<DataDirLock>> lock_folders(std::vector<fs::path> folders) {
  std::vector<std::unique_ptr<DataDirLock>> locks;
  std::vector<fs::path> locked;
  for (const fs::path& folder : folders) {
    const fs::path canonical = fs::weakly_canonical(folder);
    if (std::find(locked.begin(), locked.end(), canonical) != locked.end()) continue;
    try {
      locks.push_back(std::make_unique<DataDirLock>(folder));
    } catch (const StoreOpenError& e) {
      throw StoreOpenError(std::string(e.what()) + "; stop it before copying");
    }
    locked.push_back(canonical);
  }
  return locks;
}

// A SQLite target that is created here and removed again unless the copy committed.
class NewSqliteFile {
 public:
  explicit NewSqliteFile(fs::path file) : file_(std::move(file)) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      if (fs::exists(file_.string() + suffix)) {
        throw std::runtime_error(file_.string() + suffix +
                                 " exists; store copy writes only a new SQLite file");
      }
    }
  }
  ~NewSqliteFile() {
    if (keep_) return;
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      fs::remove(file_.string() + suffix, ignored);
    }
  }
  NewSqliteFile(const NewSqliteFile&) = delete;
  NewSqliteFile& operator=(const NewSqliteFile&) = delete;
  void keep() { keep_ = true; }

 private:
  fs::path file_;
  bool keep_ = false;
};

std::unique_ptr<db::Connection> open_side(const Endpoint& endpoint, bool writable) {
  if (endpoint.backend == db::Backend::postgresql) {
    return db::PostgresConnection::connect(endpoint.conninfo);
  }
  try {
    return std::make_unique<db::SqliteConnection>(open_connection(endpoint.file, writable));
  } catch (const SQLite::Exception& e) {
    throw StoreOpenError("cannot open " + endpoint.label + ": " + e.getErrorStr());
  }
}

// One read snapshot of the source for the whole copy: every table and the audit head come from
// the same moment.
class SourceSnapshot {
 public:
  explicit SourceSnapshot(db::Connection& db) : db_(db) {
    db_.exec_script(db_.backend() == db::Backend::postgresql
                        ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                        : "BEGIN");
  }
  ~SourceSnapshot() {
    try {
      db_.exec_script("ROLLBACK");
    } catch (const db::Error&) {
      // Nothing was written; the connection closes right after.
    }
  }
  SourceSnapshot(const SourceSnapshot&) = delete;
  SourceSnapshot& operator=(const SourceSnapshot&) = delete;

 private:
  db::Connection& db_;
};

// Refuses a source this copy cannot reproduce faithfully.
void check_source_version(int version, const Endpoint& source, const Endpoint& target) {
  if (version < 1) throw std::runtime_error(source.label + " holds no jitbroker schema");
  if (version > latest_schema_version()) {
    throw SchemaError(source.label + " has schema version " + std::to_string(version) +
                      ", newer than this jit-broker understands (" +
                      std::to_string(latest_schema_version()) + "); use a newer jit-broker");
  }
  if (target.backend == db::Backend::postgresql && version < kPostgresBaselineVersion) {
    throw SchemaError(source.label + " has schema version " + std::to_string(version) +
                      "; PostgreSQL starts at " + std::to_string(kPostgresBaselineVersion) +
                      ": start this jit-broker on it once (it upgrades the schema), then copy");
  }
}

// Refuses a target that holds anything: data of its own would be mixed with the copy.
void check_target_empty(db::Connection& target, int target_version, int source_version,
                        const Endpoint& endpoint) {
  if (target_version == 0) {
    if (!list_tables(target).empty()) {
      throw std::runtime_error(endpoint.label +
                               " holds other tables; copy into an empty database or schema");
    }
    return;
  }
  if (target_version != source_version) {
    throw std::runtime_error(endpoint.label + " has jitbroker schema version " +
                             std::to_string(target_version) + ", the source " +
                             std::to_string(source_version) + "; copy into an empty database");
  }
  if (const auto table = first_table_with_rows(target)) {
    throw std::runtime_error(endpoint.label + " is not empty (table " + *table +
                             " holds rows); copy into an empty database");
  }
}

}  // namespace

int run_store_copy(const config::BrokerConfig& config, const StoreCopyOptions& options,
                   std::ostream& out) {
  const Endpoint source = copy_source(config, options);
  const Endpoint target = copy_target(options);
  if (source.backend == target.backend) {
    throw std::runtime_error(
        "store copy moves a database between SQLite and PostgreSQL; both sides are " +
        std::string(source.backend == db::Backend::sqlite ? "SQLite (use backup and restore)"
                                                          : "PostgreSQL (use pg_dump)"));
  }
  // The chain's key comes from the data key file; a key made up now would fail every record.
  if (!fs::exists(config.data_key_file)) {
    throw StoreOpenError("no data key at " + config.data_key_file.string() +
                         "; the copied audit chain cannot be verified without it");
  }
  const AuditChainKey key = audit_chain_key(load_or_create_data_key(config.data_key_file));
  if (source.backend == db::Backend::sqlite && !fs::is_regular_file(source.file)) {
    throw StoreOpenError("no database at " + source.file.string());
  }
  std::vector<fs::path> folders;
  if (!options.from_sqlite && !options.from_url_env && !options.from_url_file) {
    folders.push_back(config.data_dir);
  }
  folders.push_back(
      folder_holding(source.backend == db::Backend::sqlite ? source.file : target.file));
  const auto locks = lock_folders(folders);

  std::optional<NewSqliteFile> new_file;
  if (target.backend == db::Backend::sqlite) new_file.emplace(target.file);
  const auto source_db = open_side(source, false);
  const auto target_db = open_side(target, true);
  SourceSnapshot snapshot(*source_db);
  const int version = schema_version(*source_db);
  check_source_version(version, source, target);
  const int target_version = schema_version(*target_db);
  check_target_empty(*target_db, target_version, version, target);
  if (target_version == 0) migrate(*target_db, key, version);

  db::Transaction transaction(*target_db);
  if (target.backend == db::Backend::postgresql) {
    // A big copy's statements may take longer than a broker's per-statement limit.
    target_db->exec_script("SET LOCAL statement_timeout = 0");
  }
  // Under the audit chain's lock no broker writes the target until the copy commits; checked
  // again here, since a broker started on the target after the first check would have written
  // rows that the copy's deletes of the migrations' seed rows must not take with them.
  lock_audit_chain(*target_db);
  check_target_empty(*target_db, schema_version(*target_db), version, target);
  const std::vector<TableCopied> copied = copy_tables(*source_db, *target_db);
  const AuditHead source_head = load_audit_head(*source_db);
  const AuditVerification verified = verify_audit_chain(*target_db, key);
  if (!verified.ok) {
    throw std::runtime_error("the copied audit chain does not verify at record " +
                             std::to_string(verified.first_bad_seq.value_or(0)) + ": " +
                             verified.problem +
                             "; no row was copied (check the source with "
                             "`jit-broker audit verify`)");
  }
  if (verified.records != source_head.seq || verified.head_hash != source_head.hash) {
    throw std::runtime_error("the copied audit chain ends at record " +
                             std::to_string(verified.records) + ", the source's at " +
                             std::to_string(source_head.seq) + "; no row was copied");
  }
  transaction.commit();
  if (new_file) new_file->keep();

  out << "copied " << source.label << " (schema version " << version << ") to " << target.label
      << "\n";
  for (const TableCopied& table : copied) {
    out << "  " << std::left << std::setw(24) << table.table << std::right << std::setw(10)
        << table.rows << " rows\n";
  }
  out << "audit chain verified on the copy: " << verified.records << " records, head "
      << verified.head_hash << "\n";
  if (source.backend == db::Backend::postgresql) {
    // No lock reaches brokers on other hosts: the copy is one snapshot of the moment it began.
    out << "the copy holds what was committed when it began: a broker still serving from the "
           "source (on any host) would have written past it; stop them all before copying\n";
  }
  return 0;
}

}  // namespace jit::broker
