#include "broker/store/wal_checkpointer.hpp"
#include "broker/store/store.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

namespace jit::broker {
namespace {

using jit::testing::TempDir;
using namespace std::chrono_literals;

// Writes `count` audit records of ~1 KB (with the chain hashes and index entries, about 2.5
// records fill a 4 KB WAL page), 50 to a commit so the test spends its time writing, not in fsync.
void write_audit_records(Store& store, int count) {
  for (int first = 0; first < count; first += 50) {
    ASSERT_FALSE(store.write_sync([first, count](WriteContext& tx) -> boost::system::error_code {
      for (int i = first; i < std::min(first + 50, count); ++i) {
        tx.audit({"alice", "test.fill", "fill:" + std::to_string(i), std::string(1000, 'x')});
      }
      return {};
    }));
  }
}

bool wait_for(const std::function<bool()>& condition) {
  for (int i = 0; i < 500 && !condition(); ++i) std::this_thread::sleep_for(10ms);
  return condition();
}

std::uintmax_t wal_bytes(const std::filesystem::path& db) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(db.string() + "-wal", ec);
  return ec ? 0 : size;
}

TEST(WalCheckpointer, TheWritersCommitsNeverCheckpointThemselves) {
  TempDir dir;
  auto store = Store::open(dir / "broker.db", jit::testing::test_audit_key());
  // With SQLite's automatic checkpoint still on the writer, 1000 pages in the WAL would be copied
  // inside a COMMIT and this thread's counter would stay at zero.
  write_audit_records(*store, 4000);  // ~1,600 pages
  EXPECT_TRUE(wait_for([&] { return store->checkpoints() > 0; }))
      << "no checkpoint ran on the checkpointer thread";
}

TEST(WalCheckpointer, KeepsTheWalBoundedUnderSteadyWrites) {
  TempDir dir;
  StoreOptions options;
  options.wal_checkpoint_pages = 100;  // the writer checkpoints itself at 400 pages (1.6 MB)
  auto store = Store::open(dir / "broker.db", jit::testing::test_audit_key(), options);
  // Back-to-back commits for ~4,000 pages (16 MB): PASSIVE alone would never find the log fully
  // copied between two commits, and the WAL file would grow to hold every page written.
  write_audit_records(*store, 10000);
  EXPECT_GT(store->checkpoints(), 0u);
  // 400 pages, plus what one batch appends before the log starts over.
  EXPECT_LT(wal_bytes(dir / "broker.db"), 3u * 1024 * 1024);
}

TEST(WalCheckpointer, EveryCommittedRowSurvivesCloseAndReopen) {
  TempDir dir;
  {
    auto store = Store::open(dir / "broker.db", jit::testing::test_audit_key());
    write_audit_records(*store, 1500);
    store->close();
  }
  auto store = Store::open(dir / "broker.db", jit::testing::test_audit_key());
  const auto rows = store->read([](SQLite::Database& db) {
    return db.execAndGet("SELECT count(*) FROM audit WHERE action = 'test.fill'").getInt64();
  });
  EXPECT_EQ(rows, 1500);
}

TEST(WalCheckpointer, StopDetachesFromTheWriter) {
  TempDir dir;
  {
    SQLite::Database db((dir / "plain.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("CREATE TABLE t(x)");
    WalCheckpointer checkpointer(dir / "plain.db", 1);
    checkpointer.attach(db);
    db.exec("INSERT INTO t VALUES (1)");
    EXPECT_TRUE(wait_for([&] { return checkpointer.checkpoints() == 1; }));
    checkpointer.stop();
    db.exec("INSERT INTO t VALUES (2)");  // the hook is gone: nothing wakes a stopped thread
    checkpointer.stop();                  // stopping twice is harmless
    EXPECT_EQ(checkpointer.checkpoints(), 1u);
  }
}

}  // namespace
}  // namespace jit::broker
