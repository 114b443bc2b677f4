// The audit stream worker (broker/workers/audit_stream.hpp) on a real store: every record reaches
// each sink once and in order; a stream started again resumes from the saved position; a sink that
// fails lags (never holding up a write) and catches up from where it stopped.
#include "broker/workers/audit_stream.hpp"
#include "broker/store/audit_stream_positions.hpp"
#include "broker/workers/audit_stream_format.hpp"
#include "broker/workers/jsonl_file_sink.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <numeric>
#include <sstream>
#include <thread>

namespace jit::broker {
namespace {

using namespace std::chrono_literals;

// A sink that refuses while `down` and records what it accepted.
class ScriptedAuditSink final : public AuditSink {
 public:
  const std::string& kind() const override { return kind_; }
  const std::string& position_key() const override { return key_; }
  void deliver(const std::vector<AuditRecord>& records,
               std::function<void(SinkOutcome)> done) override {
    if (down) return done({false, "connect", "scripted refusal", 0});
    {
      std::lock_guard lock(mutex);
      for (const auto& record : records) accepted.push_back(record.seq);
    }
    done({});
  }
  void close() override {}
  std::vector<std::int64_t> seqs() {
    std::lock_guard lock(mutex);
    return accepted;
  }

  std::atomic<bool> down{false};
  std::mutex mutex;
  std::vector<std::int64_t> accepted;

 private:
  std::string kind_ = "syslog";
  std::string key_ = "syslog:scripted:1";
};

class AuditStreamTest : public ::testing::Test {
 protected:
  void add_records(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_FALSE(store_->write_sync([](WriteContext& tx) {
        tx.audit({"system", "test.stream", "object/x", "{}"});
        return boost::system::error_code{};
      }));
    }
  }
  static bool within(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }
  std::vector<std::int64_t> file_seqs() const {
    std::vector<std::int64_t> seqs;
    if (!std::filesystem::exists(dir_ / "audit.jsonl")) return seqs;
    std::istringstream lines(jit::testing::read_text(dir_ / "audit.jsonl"));
    for (std::string line; std::getline(lines, line);) {
      if (const auto record = parse_audit_json_line(line)) seqs.push_back(record->seq);
    }
    return seqs;
  }
  std::unique_ptr<AuditStream> file_stream() {
    return std::make_unique<AuditStream>(
        *store_,
        [this](boost::asio::io_context&) {
          std::vector<std::unique_ptr<AuditSink>> sinks;
          sinks.push_back(std::make_unique<JsonlFileSink>(
              config::FileSinkSettings{dir_ / "audit.jsonl", 1 << 20, 2}));
          return sinks;
        },
        fast_);
  }

  AuditStreamOptions fast_{10ms, 4, 10ms, 40ms};  // small batches: several per test
  jit::testing::TempDir dir_;
  std::unique_ptr<Store> store_ = Store::open(dir_ / "broker.db", jit::testing::test_audit_key());
};

TEST_F(AuditStreamTest, EveryRecordOnceInOrderAndARestartResumesFromTheSavedPosition) {
  add_records(9);
  const std::vector<std::int64_t> first_nine{1, 2, 3, 4, 5, 6, 7, 8, 9};
  {
    auto stream = file_stream();
    stream->start();
    ASSERT_TRUE(within([&] { return file_seqs().size() >= 9; }));
    ASSERT_TRUE(within([&] { return stream->status().at(0).position == 9; }));
    stream->stop();
  }
  EXPECT_EQ(file_seqs(), first_nine);
  const auto key = "file:" + (dir_ / "audit.jsonl").string();
  EXPECT_EQ(
      store_->read([&](broker::db::Connection& db) { return audit_stream_position(db, key); }), 9);
  add_records(3);  // while no stream runs
  auto stream = file_stream();
  stream->start();
  ASSERT_TRUE(within([&] { return file_seqs().size() >= 12; }));
  add_records(1);
  ASSERT_TRUE(within([&] { return file_seqs().size() >= 13; }));
  ASSERT_TRUE(within([&] { return stream->status().at(0).position == 13; }));
  std::vector<std::int64_t> all(13);
  std::iota(all.begin(), all.end(), 1);
  EXPECT_EQ(file_seqs(), all);
  const auto status = stream->status().at(0);
  EXPECT_TRUE(status.up);
  EXPECT_EQ(status.delivered, 4u);
}

TEST_F(AuditStreamTest, ASinkThatIsDownLagsWithoutHoldingUpWritesThenCatchesUp) {
  auto* sink = new ScriptedAuditSink;
  sink->down = true;
  AuditStream stream(
      *store_,
      [sink](boost::asio::io_context&) {
        std::vector<std::unique_ptr<AuditSink>> sinks;
        sinks.emplace_back(sink);
        return sinks;
      },
      fast_);
  add_records(2);
  stream.start();
  ASSERT_TRUE(within([&] { return !stream.status().at(0).failures.empty(); }));
  const auto started = std::chrono::steady_clock::now();
  add_records(10);  // writes go on as usual
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  auto status = stream.status().at(0);
  EXPECT_FALSE(status.up);
  EXPECT_EQ(status.position, 0);
  EXPECT_GE(status.failures.at("connect"), 1u);
  EXPECT_EQ(status.last_reason, "connect");
  EXPECT_GT(status.last_failure_unix, 0);
  EXPECT_TRUE(sink->seqs().empty());
  sink->down = false;
  ASSERT_TRUE(within([&] { return stream.status().at(0).position == 12; }));
  std::vector<std::int64_t> all(12);
  std::iota(all.begin(), all.end(), 1);
  EXPECT_EQ(sink->seqs(), all);
  EXPECT_TRUE(stream.status().at(0).up);
}

}  // namespace
}  // namespace jit::broker
