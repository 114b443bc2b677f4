#include "broker/store/wal_checkpointer.hpp"

#include <pthread.h>
#include <sqlite3.h>

namespace jit::broker {

WalCheckpointer::WalCheckpointer(const std::filesystem::path& file, int threshold_pages)
    : threshold_pages_(threshold_pages),
      writer_pages_(4 * threshold_pages),
      db_(std::make_unique<SQLite::Database>(file.string(),
                                             SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX, 5000)) {
  // The checkpoint fsyncs the database file before it lets the WAL be reused.
  db_->exec("PRAGMA synchronous = FULL");
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "store-wal-ckpt");
    run();
  });
}

WalCheckpointer::~WalCheckpointer() { stop(); }

void WalCheckpointer::attach(SQLite::Database& writer) {
  writer_ = writer.getHandle();
  // Installing a WAL hook replaces the automatic checkpoint of this connection.
  sqlite3_wal_hook(writer_, &WalCheckpointer::on_commit, this);
}

int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int wal_pages) {
  auto& checkpointer = *static_cast<WalCheckpointer*>(self);
  if (wal_pages >= checkpointer.writer_pages_) {
    // BUSY (this thread is mid-checkpoint) is fine: the next commit tries again.
    if (sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) ==
        SQLITE_OK) {
      checkpointer.writer_checkpoints_.fetch_add(1, std::memory_order_relaxed);
    }
  } else if (wal_pages >= checkpointer.threshold_pages_) {
    {
      const std::lock_guard lock(checkpointer.mutex_);
      if (checkpointer.requested_) return SQLITE_OK;
      checkpointer.requested_ = true;
    }
    checkpointer.wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::stop() {
  if (writer_ != nullptr) {
    sqlite3_wal_hook(writer_, nullptr, nullptr);
    writer_ = nullptr;
  }
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void WalCheckpointer::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || requested_; });
      if (stopping_) return;
      requested_ = false;
    }
    // PASSIVE copies what it can without waiting for readers or the writer. A failure (a busy
    // or full disk) is left to the next request: the WAL keeps every committed frame until a
    // checkpoint has copied it.
    if (sqlite3_wal_checkpoint_v2(db_->getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                  nullptr) == SQLITE_OK) {
      checkpoints_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace jit::broker
