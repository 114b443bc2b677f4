#include "broker/admin/backup_commands.hpp"

#include "broker/data_dir.hpp"
#include "broker/store/audit_chain.hpp"
#include "broker/store/migrations.hpp"
#include "broker/store/store.hpp"
#include "broker/store/store_error.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>

namespace jit::broker {
namespace {

namespace fs = std::filesystem;

// Pages per backup step (4 KiB each): small enough that each step's I/O is short, so a broker on
// the same disk keeps committing between steps. The held snapshot makes steps cheap to resume.
constexpr int kPagesPerStep = 16;
// A step answers BUSY or LOCKED only while another connection holds a lock the copy needs; these
// retries (each after kRetryPause) bound how long the command waits for it.
constexpr int kMaxBusyRetries = 2000;
constexpr auto kRetryPause = std::chrono::milliseconds(5);

fs::path folder_of(const fs::path& path) {
  const auto folder = path.parent_path();
  return folder.empty() ? fs::path(".") : folder;
}

// What the copy read, all from one snapshot.
struct DatabaseFacts {
  int schema_version = 0;
  std::int64_t audit_records = 0;
  AuditHead head;
};

// Reads the facts and checks that `db` holds a whole jitbroker database this build understands;
// throws std::runtime_error naming `file` otherwise. Runs inside the caller's read transaction.
DatabaseFacts check_broker_database(SQLite::Database& db, const fs::path& file, bool full_check) {
  DatabaseFacts facts;
  try {
    if (full_check) {
      const auto integrity = db.execAndGet("PRAGMA integrity_check").getString();
      if (integrity != "ok") {
        throw std::runtime_error(file.string() + " fails SQLite's integrity check: " + integrity);
      }
    }
    db::SqliteConnection connection(db);
    facts.schema_version = schema_version(connection);
    const bool has_audit =
        db.execAndGet("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'audit'")
            .getInt() == 1;
    if (facts.schema_version < 1 || !has_audit) {
      throw std::runtime_error(file.string() + " is not a jitbroker database (schema version " +
                               std::to_string(facts.schema_version) + ", no audit table)");
    }
    if (facts.schema_version > latest_schema_version()) {
      throw std::runtime_error(file.string() + " has schema version " +
                               std::to_string(facts.schema_version) +
                               ", newer than this jit-broker understands (" +
                               std::to_string(latest_schema_version()) + "); upgrade jit-broker");
    }
    facts.audit_records = db.execAndGet("SELECT count(*) FROM audit").getInt64();
    facts.head = load_audit_head(connection);
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error(file.string() +
                             " is not a readable jitbroker database: " + e.getErrorStr());
  } catch (const db::Error& e) {
    throw std::runtime_error(file.string() + " is not a readable jitbroker database: " + e.what());
  }
  return facts;
}

// A temporary file beside the target, removed unless it was renamed into place.
class TempBeside {
 public:
  explicit TempBeside(const fs::path& target) {
    std::string name =
        (folder_of(target) / ("." + target.filename().string() + ".XXXXXX")).string();
    const int fd = ::mkstemp(name.data());  // mode 0600 from its creation
    if (fd < 0) {
      throw std::runtime_error("cannot write " + target.string() + ": " + std::strerror(errno));
    }
    ::close(fd);
    path_ = name;
  }
  ~TempBeside() {
    if (!path_.empty()) {
      std::error_code ignored;
      fs::remove(path_, ignored);
      for (const char* suffix : {"-journal", "-wal", "-shm"}) {
        fs::remove(path_.string() + suffix, ignored);
      }
    }
  }
  TempBeside(const TempBeside&) = delete;
  TempBeside& operator=(const TempBeside&) = delete;

  const fs::path& path() const { return path_; }

  // Renames the file over `target` and makes the new name durable.
  void commit(const fs::path& target) {
    std::error_code ec;
    fs::rename(path_, target, ec);
    if (ec) throw std::runtime_error("cannot write " + target.string() + ": " + ec.message());
    path_.clear();
    const int dir = ::open(folder_of(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const bool synced = dir >= 0 && ::fsync(dir) == 0;
    if (dir >= 0) ::close(dir);
    if (!synced) throw std::runtime_error("cannot sync the folder of " + target.string());
  }

 private:
  fs::path path_;
};

// Copies the main database of `source` (the caller holds its read transaction, so every step reads
// the same snapshot and the copy never restarts) into a new file at `target`, in rollback-journal
// mode so that the copy is one self-contained file. Answers the pages copied.
// What a restored database's counters start from: at least this many per second since the epoch.
// The backup's counters are older than the serials, KRL versions and CRL numbers the lost broker
// went on to use; hosts refuse a KRL older than the one they installed (`jit host-refresh`), so a
// restored broker that counted on from the backup's values would have its revocations refused
// until it caught up, and would reuse serials. No counter moves 65,536 times a second, so a value
// from the clock is above everything any broker used before now, restored ones included.
constexpr std::int64_t kRestoredCounterFloorPerSecond = 65536;

// Raises the counters that must never go back (docs/operations.md, "Backup and restore").
std::int64_t raise_counters_for_restore(SQLite::Database& db) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::int64_t floor = now * kRestoredCounterFloorPerSecond;
  SQLite::Statement raise(db,
                          "UPDATE counters SET value = max(value, ?) "
                          "WHERE name IN ('ssh_serial', 'krl_version', 'crl_number')");
  raise.bind(1, floor);
  raise.exec();
  return floor;
}

// Copies `source` to `target` whole or not at all; `adjust` (if any) changes the copy first.
int copy_database(SQLite::Database& source, const fs::path& target,
                  const std::function<void(SQLite::Database&)>& adjust = {}) {
  TempBeside temp(target);
  int pages = 0;
  try {
    SQLite::Database destination(temp.path().string(), SQLite::OPEN_READWRITE);
    {
      SQLite::Backup backup(destination, source);
      int busy = 0;
      for (;;) {
        const int rc = backup.executeStep(kPagesPerStep);
        if (rc == SQLITE_DONE) break;
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
          if (++busy > kMaxBusyRetries) {
            throw std::runtime_error("the database stayed locked; try again");
          }
          std::this_thread::sleep_for(kRetryPause);
        } else if (rc != SQLITE_OK) {
          throw std::runtime_error(std::string("backup step failed: ") + sqlite3_errstr(rc));
        }
      }
      pages = backup.getTotalPageCount();
    }
    destination.exec("PRAGMA journal_mode = DELETE");
    if (adjust) adjust(destination);
    const auto check = destination.execAndGet("PRAGMA quick_check").getString();
    if (check != "ok") throw std::runtime_error("the copy fails SQLite's quick check: " + check);
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error("cannot write " + target.string() + ": " + e.getErrorStr());
  }
  // SQLite synced the copy when its backup transaction committed; the rename is synced here.
  temp.commit(target);
  return pages;
}

// Holds a read transaction on `db` for the life of the object: one snapshot for the whole copy.
class ReadSnapshot {
 public:
  ReadSnapshot(SQLite::Database& db, const fs::path& file) : db_(db) {
    try {
      db_.exec("BEGIN");
      db_.execAndGet("SELECT count(*) FROM sqlite_schema");  // a deferred BEGIN reads from here
    } catch (const SQLite::Exception& e) {
      throw std::runtime_error("cannot read " + file.string() + ": " + e.getErrorStr());
    }
  }
  ~ReadSnapshot() {
    try {
      db_.exec("COMMIT");
    } catch (const SQLite::Exception&) {
      // A read transaction has nothing to lose; the connection closes right after.
    }
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  SQLite::Database& db_;
};

// Backup and restore copy SQLite files; a PostgreSQL store is backed up by PostgreSQL's own tools,
// which keep what a file copy cannot (roles, point-in-time recovery).
void refuse_postgresql(const config::BrokerConfig& config, const char* command) {
  if (config.store.backend != config::StoreBackend::postgresql) return;
  throw std::runtime_error(std::string(command) +
                           " copies a SQLite database, and this broker's store is PostgreSQL: "
                           "use pg_dump or pg_basebackup (docs/operations.md, \"PostgreSQL\")");
}

}  // namespace

int run_backup(const config::BrokerConfig& config, const fs::path& file, std::ostream& out) {
  refuse_postgresql(config, "backup");
  const auto db_file = config.data_dir / "broker.db";
  if (!fs::exists(db_file)) throw StoreOpenError("no database at " + db_file.string());
  std::unique_ptr<SQLite::Database> db;
  try {
    // Read-only: the broker keeps the one write connection; a WAL reader never blocks it.
    db = open_connection(db_file, false);
  } catch (const SQLite::Exception& e) {
    throw StoreOpenError("cannot read database " + db_file.string() + ": " + e.getErrorStr());
  }
  DatabaseFacts facts;
  int pages = 0;
  {
    ReadSnapshot snapshot(*db, db_file);
    facts = check_broker_database(*db, db_file, false);
    pages = copy_database(*db, file);
  }
  out << "backed up " << db_file.string() << " (schema version " << facts.schema_version << ", "
      << pages << " pages) to " << file.string() << "; audit head " << facts.head.hash << " after "
      << facts.audit_records << " records\n";
  return 0;
}

int run_restore(const config::BrokerConfig& config, const fs::path& file, std::ostream& out) {
  refuse_postgresql(config, "restore");
  // No broker may start on the folder while the database appears in it.
  const DataDirLock lock(config.data_dir);
  const auto target = config.data_dir / "broker.db";
  for (const auto& existing : {target, fs::path(target.string() + "-wal")}) {
    if (fs::exists(existing)) {
      throw std::runtime_error("data folder " + config.data_dir.string() +
                               " already has a database (" + existing.string() +
                               "); restore only into a data folder without one");
    }
  }
  if (!fs::is_regular_file(file)) throw std::runtime_error("no backup file at " + file.string());
  std::unique_ptr<SQLite::Database> db;
  try {
    db = std::make_unique<SQLite::Database>(file.string(), SQLite::OPEN_READONLY);
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error("cannot read " + file.string() + ": " + e.getErrorStr());
  }
  DatabaseFacts facts;
  int pages = 0;
  std::int64_t floor = 0;
  {
    ReadSnapshot snapshot(*db, file);
    facts = check_broker_database(*db, file, true);
    pages = copy_database(*db, target, [&floor](SQLite::Database& copy) {
      floor = raise_counters_for_restore(copy);
    });
  }
  out << "restored " << file.string() << " (schema version " << facts.schema_version << ", "
      << pages << " pages) to " << target.string() << "; audit head " << facts.head.hash
      << " after " << facts.audit_records << " records; SSH serials, KRL versions and CRL numbers "
      << "continue from " << floor
      << ". Put the data key and the CA keys of the backup in place before starting.\n";
  return 0;
}

}  // namespace jit::broker
