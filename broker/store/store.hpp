// The broker's durable state. One writer thread owns the write connection and commits jobs in
// batches (group commit): every job runs inside its own savepoint of a shared transaction, and a
// job's completion is called only after the COMMIT that contains it returned, i.e. after fsync of
// the WAL (synchronous=FULL). So an acknowledged write is durable, and one fsync serves many
// writes. Reads use a small pool of read-only connections that see the last committed state (WAL).
// A third thread copies the WAL back into the database file, so no COMMIT waits for that.
#pragma once

#include "broker/broker_error.hpp"
#include "broker/store/audit_chain.hpp"
#include "broker/store/db/sqlite_connection.hpp"

#include <SQLiteCpp/Database.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace jit::broker {

// What a write job gets: the connection (inside its savepoint) and the audit chain.
class WriteContext {
 public:
  WriteContext(db::Connection& db, const AuditChainKey& key, AuditHead& head, std::int64_t now_us)
      : db_(db), key_(key), head_(head), now_us_(now_us) {}
  db::Connection& db() { return db_; }
  // The SQLite connection itself, for SQLite-only work (tests that set up rows with raw SQL);
  // throws db::Error on another backend.
  SQLite::Database& sqlite();
  // Appends an audit record in the same transaction as the job's state change.
  AuditRecord audit(const AuditEntry& entry) {
    return append_audit(db_, key_, head_, entry, now_us_);
  }
  std::int64_t now_us() const { return now_us_; }
  std::int64_t now_seconds() const { return now_us_ / 1'000'000; }

 private:
  db::Connection& db_;
  const AuditChainKey& key_;
  AuditHead& head_;
  std::int64_t now_us_;
};

struct StoreOptions {
  std::size_t max_batch = 512;    // jobs per transaction at most (kPostgresMaxBatch on PostgreSQL)
  std::size_t max_queue = 65536;  // jobs waiting at most; beyond it writes fail as unavailable
  std::function<std::int64_t()> clock_us;  // audit time source; default: system clock
  int wal_checkpoint_pages = 1000;         // WAL pages that wake the checkpointer thread
};

class WalCheckpointer;

inline constexpr std::size_t kPostgresMaxBatch = 64;

class Store {
 public:
  // A job returns an empty error_code to commit its changes, or an error to roll back its own
  // savepoint (other jobs of the batch are unaffected). A db::Error becomes its code()
  // (`unavailable` for a full disk or a locked database), any other exception `internal`.
  using WriteJob = std::function<boost::system::error_code(WriteContext&)>;
  using WriteDone = std::function<void(boost::system::error_code)>;

  // Opens or creates the database, applies migrations, starts the writer. `audit_key` keys the
  // audit chain (audit_chain_key() of the data key; open_broker_store in broker_app.hpp does that
  // for a config). Throws StoreOpenError or SchemaError with a one-line message.
  static std::unique_ptr<Store> open(const std::filesystem::path& file, AuditChainKey audit_key,
                                     StoreOptions options = {});
  // The same on PostgreSQL (docs/architecture.md, "Store backends (SQLite and PostgreSQL)"):
  // `conninfo` is a libpq connection string or URL; it is kept for the read connections and never
  // appears in a message. Throws StoreOpenError (unreachable, wrong password) or SchemaError.
  static std::unique_ptr<Store> open_postgresql(const std::string& conninfo,
                                                AuditChainKey audit_key, StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Queues a job; `done` runs on the writer thread after the batch is durable (keep it short: post
  // the response elsewhere).
  void write(WriteJob job, WriteDone done);
  // Queues a job and waits for its durable completion.
  boost::system::error_code write_sync(WriteJob job);

  // Runs `fn` with a read connection (a db::Connection&) that sees the last committed state. A
  // function taking SQLite::Database& gets the SQLite connection itself (tests and SQLite-only
  // checks).
  template <typename Fn>
  auto read(Fn&& fn) {
    ReadLease lease(*this);
    if constexpr (std::is_invocable_v<Fn&, db::Connection&>) {
      return fn(static_cast<db::Connection&>(*lease.db));
    } else {
      return fn(sqlite_of(*lease.db));
    }
  }

  // Stops the writer after the queued jobs are committed.
  void close();

  db::Backend backend() const { return backend_; }
  // The SQLite database under a connection of this store; throws db::Error on PostgreSQL.
  static SQLite::Database& sqlite_of(db::Connection& connection);
  // The SQLite file; empty on PostgreSQL.
  const std::filesystem::path& file() const { return file_; }
  // WAL checkpoints run so far beside the writer, and by the writer itself when the log grew
  // to four thresholds anyway (see wal_checkpointer.hpp).
  std::uint64_t checkpoints() const;
  std::uint64_t writer_checkpoints() const;
  // Durable COMMITs so far: one per batch of jobs, whatever each job decided. An action whose
  // effects must land together (an approval and the factor it spends) shows as one (/metrics:
  // jit_store_commits_total).
  std::uint64_t commits() const { return commits_.load(std::memory_order_relaxed); }
  // False after a batch failed because the database connection was lost or could not be made,
  // true again after the next COMMIT (the writer reconnects at its next batch). /readyz reads it.
  bool writer_available() const { return writer_available_.load(std::memory_order_relaxed); }
  std::int64_t now_us() const { return options_.clock_us(); }
  const AuditChainKey& audit_key() const { return audit_key_; }

 private:
  struct PendingWrite {
    WriteJob job;
    WriteDone done;
  };
  struct ReadLease {
    explicit ReadLease(Store& store);
    ~ReadLease();
    Store& store;
    std::unique_ptr<db::Connection> db;
  };

  Store(db::Backend backend, std::filesystem::path file, std::string conninfo,
        AuditChainKey audit_key, StoreOptions options);
  void open_sqlite();
  std::unique_ptr<db::Connection> open_reader() const;
  void writer_loop();
  // Runs the batch once and commits it; `results` gets each job's outcome.
  enum class BatchOutcome { committed, failed, retry_before_jobs, not_connected };
  BatchOutcome run_batch(std::vector<PendingWrite>& batch,
                         std::vector<boost::system::error_code>& results);
  BatchOutcome run_sqlite_batch(std::vector<PendingWrite>& batch,
                                std::vector<boost::system::error_code>& results);
  // postgres_batch.cpp: the batch in pipeline mode, a round trip per job that waits for a result.
  BatchOutcome run_postgres_batch(std::vector<PendingWrite>& batch,
                                  std::vector<boost::system::error_code>& results);
  // The whole batch failed with `e` (its transaction is rolled back here): every job gets it.
  BatchOutcome batch_failed(const db::Error& e, std::vector<boost::system::error_code>& results,
                            bool jobs_started, bool committing);
  // Runs one job (in its savepoint); its outcome, a throw included.
  static boost::system::error_code run_job(const WriteJob& job, WriteContext& context);
  // What a job or batch that failed with `e` answers.
  static boost::system::error_code failure_code(const db::Error& e);
  void commit_batch(std::vector<PendingWrite>& batch);
  // True when the writer has a usable connection, after reconnecting on PostgreSQL if needed.
  bool writer_connected();
  // Answers every queued write `unavailable` (the database cannot be reached).
  void fail_queued_writes();

  db::Backend backend_;
  std::filesystem::path file_;
  std::string conninfo_;  // PostgreSQL only; holds the password
  AuditChainKey audit_key_;
  StoreOptions options_;
  std::unique_ptr<db::Connection> writer_db_;
  std::unique_ptr<WalCheckpointer>
      checkpointer_;  // SQLite only  // declared after writer_db_: stopped first
  AuditHead head_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<PendingWrite> queue_;
  bool stopping_ = false;
  std::thread writer_;

  std::atomic<std::uint64_t> commits_{0};
  std::atomic<bool> writer_available_{true};
  std::chrono::steady_clock::time_point last_reconnect_attempt_{};  // writer thread only

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<db::Connection>> idle_readers_;
};

// Opens a connection with the project's pragmas (WAL, synchronous=FULL, foreign keys, busy
// timeout).
std::unique_ptr<SQLite::Database> open_connection(const std::filesystem::path& file, bool writable);

}  // namespace jit::broker
