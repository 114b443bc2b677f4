// Copies the write-ahead log back into the database file on its own thread and connection.
//
// SQLite's automatic checkpoint runs inside the COMMIT that pushes the WAL past its threshold, on
// the committing connection: with synchronous=FULL that is a write of every changed page plus an
// fsync of the database file, 10-30 ms during which every job of the batch waits for its answer.
// At a few thousand certificates a second that happens several times a second and sets the p99.
// Here the writer connection's automatic checkpoint is replaced by a WAL hook that only wakes this
// thread, which runs PASSIVE checkpoints: they never take the write lock, so the writer keeps
// committing while pages are copied. A PASSIVE checkpoint cannot start the log over while the
// writer keeps appending, though (the log restarts only at a write that begins with every frame
// copied), so at four thresholds the writer's own hook runs one PASSIVE checkpoint itself, as
// SQLite would have at one threshold: the log stays bounded, and that rare checkpoint finds most
// pages already copied.
// Durability is unchanged: a commit is durable once its WAL
// frames are synced, and a checkpoint (or a crash in the middle of one) never loses them.
#pragma once

#include <SQLiteCpp/Database.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

struct sqlite3;

namespace jit::broker {

class WalCheckpointer {
 public:
  // SQLite's own default threshold: 1000 pages (about 4 MB) in the WAL.
  static constexpr int kDefaultThresholdPages = 1000;

  // Opens its own connection to `file` and starts the thread. Throws SQLite::Exception.
  explicit WalCheckpointer(const std::filesystem::path& file,
                           int threshold_pages = kDefaultThresholdPages);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Turns off `writer`'s automatic checkpoint and wakes this thread instead after each commit that
  // leaves at least the threshold in the WAL. Call from the thread that owns `writer`.
  void attach(SQLite::Database& writer);
  // Detaches from the writer and joins the thread after the checkpoint in progress, if any.
  void stop();

  // Checkpoints run so far by this thread, and by the writer at four thresholds (for tests).
  std::uint64_t checkpoints() const { return checkpoints_.load(std::memory_order_relaxed); }
  std::uint64_t writer_checkpoints() const {
    return writer_checkpoints_.load(std::memory_order_relaxed);
  }

 private:
  static int on_commit(void* self, sqlite3* db, const char* schema, int wal_pages);
  void run();

  int threshold_pages_;
  int writer_pages_;
  std::unique_ptr<SQLite::Database> db_;
  sqlite3* writer_ = nullptr;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> checkpoints_{0};
  std::atomic<std::uint64_t> writer_checkpoints_{0};
  std::thread thread_;
};

}  // namespace jit::broker
