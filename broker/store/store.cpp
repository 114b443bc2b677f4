#include "broker/store/store.hpp"

#include "broker/caught_exception.hpp"
#include "broker/log.hpp"
#include "broker/store/db/postgres_connection.hpp"
#include "broker/store/migrations.hpp"
#include "broker/store/statement_cache.hpp"
#include "broker/store/store_error.hpp"
#include "broker/store/wal_checkpointer.hpp"

#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <future>

namespace jit::broker {
namespace {

std::int64_t system_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<db::SqliteConnection> open_store_connection(const std::filesystem::path& file,
                                                            bool writable) {
  auto connection = std::make_unique<db::SqliteConnection>(open_connection(file, writable));
  enable_statement_cache(connection->sqlite());
  return connection;
}

}  // namespace

std::unique_ptr<SQLite::Database> open_connection(const std::filesystem::path& file,
                                                  bool writable) {
  const int flags = writable ? (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX)
                             : (SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX);
  auto db = std::make_unique<SQLite::Database>(file.string(), flags, 5000);
  if (writable) {
    // WAL lets readers run beside the writer; FULL makes every COMMIT fsync the WAL, so an
    // acknowledged write survives power loss, not only a process crash.
    db->exec("PRAGMA journal_mode = WAL");
  }
  db->exec("PRAGMA synchronous = FULL");
  db->exec("PRAGMA foreign_keys = ON");
  return db;
}

SQLite::Database& WriteContext::sqlite() { return Store::sqlite_of(db_); }

SQLite::Database& Store::sqlite_of(db::Connection& connection) {
  auto* sqlite = dynamic_cast<db::SqliteConnection*>(&connection);
  if (sqlite == nullptr) throw db::Error(db::Failure::other, "not a SQLite store");
  return sqlite->sqlite();
}

std::unique_ptr<Store> Store::open(const std::filesystem::path& file, AuditChainKey audit_key,
                                   StoreOptions options) {
  if (!options.clock_us) options.clock_us = system_clock_us;
  return std::unique_ptr<Store>(
      new Store(db::Backend::sqlite, file, {}, std::move(audit_key), std::move(options)));
}

std::unique_ptr<Store> Store::open_postgresql(const std::string& conninfo, AuditChainKey audit_key,
                                              StoreOptions options) {
  if (!options.clock_us) options.clock_us = system_clock_us;
  // A batch holds the cluster's audit chain lock from its first statement to its COMMIT, and a
  // batch that lost its connection runs again whole: short batches keep both waits short.
  options.max_batch = std::min<std::size_t>(options.max_batch, kPostgresMaxBatch);
  return std::unique_ptr<Store>(
      new Store(db::Backend::postgresql, {}, conninfo, std::move(audit_key), std::move(options)));
}

std::unique_ptr<db::Connection> Store::open_reader() const {
  if (backend_ == db::Backend::postgresql) return db::PostgresConnection::connect(conninfo_);
  try {
    return open_store_connection(file_, false);
  } catch (const SQLite::Exception& e) {
    throw db::sqlite_error(e);  // readers catch db::Error, whichever backend
  }
}

Store::Store(db::Backend backend, std::filesystem::path file, std::string conninfo,
             AuditChainKey audit_key, StoreOptions options)
    : backend_(backend),
      file_(std::move(file)),
      conninfo_(std::move(conninfo)),
      audit_key_(std::move(audit_key)),
      options_(std::move(options)) {
  if (backend_ == db::Backend::postgresql) {
    try {
      writer_db_ = db::PostgresConnection::connect(conninfo_);
      migrate(*writer_db_, audit_key_);
      head_ = load_audit_head(*writer_db_);
    } catch (const db::Error& e) {
      // pg::Error messages never hold the password (broker/store/pg/pg_error.hpp).
      throw StoreOpenError(std::string("cannot open the PostgreSQL database: ") + e.what());
    }
  } else {
    open_sqlite();
  }
  writer_ = std::thread([this] {
    // Named so that top -H and perf tell the one writer apart from the HTTP threads.
    pthread_setname_np(pthread_self(), "store-writer");
    writer_loop();
  });
}

void Store::open_sqlite() {
  try {
    writer_db_ = std::make_unique<db::SqliteConnection>(open_connection(file_, true));
    // Take the write lock now so a second broker on the same file fails at start-up, not later.
    sqlite_of(*writer_db_).exec("BEGIN IMMEDIATE");
    sqlite_of(*writer_db_).exec("COMMIT");
  } catch (const SQLite::Exception& e) {
    throw StoreOpenError("cannot open database " + file_.string() + ": " + e.getErrorStr());
  }
  try {
    migrate(*writer_db_, audit_key_);
    enable_statement_cache(sqlite_of(*writer_db_));
    head_ = load_audit_head(*writer_db_);
    checkpointer_ = std::make_unique<WalCheckpointer>(file_, options_.wal_checkpoint_pages);
    checkpointer_->attach(sqlite_of(*writer_db_));
  } catch (const SQLite::Exception& e) {
    throw StoreOpenError("cannot prepare database " + file_.string() + ": " + e.getErrorStr());
  } catch (const db::Error& e) {
    throw StoreOpenError("cannot prepare database " + file_.string() + ": " + e.what());
  }
}

std::uint64_t Store::checkpoints() const {
  return checkpointer_ ? checkpointer_->checkpoints() : 0;
}

std::uint64_t Store::writer_checkpoints() const {
  return checkpointer_ ? checkpointer_->writer_checkpoints() : 0;
}

Store::~Store() {
  close();
  // Each connection finalizes its cached statements before it closes (~SqliteConnection); the
  // checkpointer, attached to the writer, is stopped first.
  checkpointer_.reset();
}

void Store::close() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (checkpointer_) checkpointer_->stop();
}

void Store::write(WriteJob job, WriteDone done) {
  {
    std::lock_guard lock(queue_mutex_);
    if (!stopping_ && queue_.size() < options_.max_queue) {
      queue_.push_back({std::move(job), std::move(done)});
      queue_cv_.notify_one();
      return;
    }
  }
  if (done) done(BrokerErrc::unavailable);
}

boost::system::error_code Store::write_sync(WriteJob job) {
  std::promise<boost::system::error_code> promise;
  auto future = promise.get_future();
  write(std::move(job), [&promise](boost::system::error_code ec) { promise.set_value(ec); });
  return future.get();
}

void Store::writer_loop() {
  std::vector<PendingWrite> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is committed
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_batch(batch);
    batch.clear();
  }
}

void Store::commit_batch(std::vector<PendingWrite>& batch) {
  std::vector<boost::system::error_code> results(batch.size());
  // A batch whose connection turned out lost before its first job ran changed nothing and ran
  // nothing, so it runs again once on a new connection: that is the usual way a PostgreSQL restart
  // or failover shows (the first statement after it fails). Once a job has run it is not run
  // again, since jobs fill their callers' state as they go; those batches, and one that failed in
  // COMMIT itself (its outcome unknown), answer `unavailable` (docs/architecture.md, "The writer
  // on PostgreSQL").
  BatchOutcome outcome = run_batch(batch, results);
  if (outcome == BatchOutcome::retry_before_jobs) {
    log_event(LogLevel::warning, "store_batch_retried", {{"jobs", std::to_string(batch.size())}});
    outcome = run_batch(batch, results);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].done) batch[i].done(results[i]);
  }
  if (outcome == BatchOutcome::not_connected) fail_queued_writes();
}

void Store::fail_queued_writes() {
  // With the database unreachable every queued job would wait for its own reconnect attempt (up
  // to the connect timeout each): they are answered `unavailable` now instead, and only writes
  // queued after this try the database again.
  std::deque<PendingWrite> failed;
  {
    std::lock_guard lock(queue_mutex_);
    failed.swap(queue_);
  }
  for (auto& pending : failed) {
    if (pending.done) pending.done(BrokerErrc::unavailable);
  }
}

bool Store::writer_connected() {
  if (writer_db_ && writer_db_->usable()) return true;
  if (backend_ != db::Backend::postgresql) return writer_db_ != nullptr;
  // At most one attempt a second, counted from the end of the last one (which may have waited out
  // connect_timeout): while the server is down, writes in between are answered `unavailable` at
  // once.
  if (std::chrono::steady_clock::now() - last_reconnect_attempt_ < std::chrono::seconds(1)) {
    return false;
  }
  writer_db_.reset();  // closes the lost connection first
  try {
    writer_db_ = db::PostgresConnection::connect(conninfo_);
    log_event(LogLevel::info, "store_writer_reconnected", {});
  } catch (const db::Error& e) {
    // pg::Error messages never hold the password (broker/store/pg/pg_error.hpp).
    log_event(LogLevel::error, "store_writer_reconnect_failed", {{"error", e.what()}});
  }
  last_reconnect_attempt_ = std::chrono::steady_clock::now();
  return writer_db_ != nullptr;
}

boost::system::error_code Store::failure_code(const db::Error& e) {
  // Storage trouble the operator can fix (disk full, database locked by another process) is
  // `unavailable`; anything else is our fault (a duplicate key a job did not expect included).
  return e.failure() == db::Failure::unique_violation ? BrokerErrc::internal : e.code();
}

boost::system::error_code Store::run_job(const WriteJob& job, WriteContext& context) {
  try {
    return job(context);
  } catch (const db::Error& e) {
    return failure_code(e);
  } catch (const SQLite::Exception& e) {  // a job's own SQLite-only statement
    return failure_code(db::sqlite_error(e));
  } catch (const std::exception&) {
    // A bug in the job (its savepoint is rolled back by the caller): the operator's log says what.
    log_event(LogLevel::error, "store_job_threw",
              {{"error", describe_current_exception()}, {"outcome", "rolled back"}});
    return BrokerErrc::internal;
  }
}

Store::BatchOutcome Store::run_batch(std::vector<PendingWrite>& batch,
                                     std::vector<boost::system::error_code>& results) {
  std::fill(results.begin(), results.end(), boost::system::error_code());
  if (!writer_connected()) {
    // Nothing to run the batch on: answered at once (503), never queued behind a dead server.
    writer_available_.store(false, std::memory_order_relaxed);
    std::fill(results.begin(), results.end(), make_error_code(BrokerErrc::unavailable));
    return BatchOutcome::not_connected;
  }
  return backend_ == db::Backend::postgresql ? run_postgres_batch(batch, results)
                                             : run_sqlite_batch(batch, results);
}

Store::BatchOutcome Store::run_sqlite_batch(std::vector<PendingWrite>& batch,
                                            std::vector<boost::system::error_code>& results) {
  bool committing = false;
  try {
    writer_db_->begin_write();  // BEGIN IMMEDIATE: the head read below stays the true one
    head_ = load_audit_head(*writer_db_);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const AuditHead before = head_;
      db::prepare_cached(*writer_db_, "SAVEPOINT job").exec();
      WriteContext context(*writer_db_, audit_key_, head_, options_.clock_us());
      results[i] = run_job(batch[i].job, context);
      if (results[i]) {
        db::prepare_cached(*writer_db_, "ROLLBACK TO job").exec();
        head_ = before;
      }
      db::prepare_cached(*writer_db_, "RELEASE job").exec();
    }
    committing = true;
    writer_db_->exec_script("COMMIT");
    commits_.fetch_add(1, std::memory_order_relaxed);
    writer_available_.store(true, std::memory_order_relaxed);
    return BatchOutcome::committed;
  } catch (const db::Error& e) {
    return batch_failed(e, results, /*jobs_started=*/true, committing);
  }
}

Store::BatchOutcome Store::batch_failed(const db::Error& e,
                                        std::vector<boost::system::error_code>& results,
                                        bool jobs_started, bool committing) {
  // The whole batch is lost (disk full, I/O error, connection lost): no job may be acknowledged
  // as done.
  try {
    writer_db_->exec_script("ROLLBACK");
  } catch (const db::Error&) {
    // The connection is gone: the server rolled back for us.
  }
  const bool lost = !writer_db_->usable();
  if (lost) writer_available_.store(false, std::memory_order_relaxed);
  std::fill(results.begin(), results.end(), failure_code(e));
  log_event(LogLevel::error, "store_batch_failed",
            {{"jobs", std::to_string(results.size())},
             {"error", e.what()},
             {"connection", lost ? "lost" : "ok"},
             {"stage", committing ? "commit" : "before commit"}});
  return lost && !jobs_started ? BatchOutcome::retry_before_jobs : BatchOutcome::failed;
}

Store::ReadLease::ReadLease(Store& s) : store(s) {
  {
    std::lock_guard lock(store.readers_mutex_);
    if (!store.idle_readers_.empty()) {
      db = std::move(store.idle_readers_.back());
      store.idle_readers_.pop_back();
    }
  }
  if (!db) db = store.open_reader();
}

Store::ReadLease::~ReadLease() {
  if (!db->usable()) return;  // lost (a PostgreSQL restart or failover): the next read reconnects
  std::lock_guard lock(store.readers_mutex_);
  store.idle_readers_.push_back(std::move(db));
}

}  // namespace jit::broker
