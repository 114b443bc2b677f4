// The audit stream's file sink (broker/workers/jsonl_file_sink.hpp): one JSON line per record,
// appended; rotated by renaming before a line would pass max_bytes, keeping `keep` old files; a
// batch that fails leaves no partial line behind.
#include "broker/workers/jsonl_file_sink.hpp"
#include "broker/workers/audit_stream_format.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <sstream>

namespace jit::broker {
namespace {

using jit::testing::read_text;

std::vector<AuditRecord> file_sink_records(std::int64_t from, std::int64_t to) {
  std::vector<AuditRecord> records;
  for (std::int64_t seq = from; seq <= to; ++seq) {
    records.push_back({seq, seq * 1000, "system", "test.record", "object/" + std::to_string(seq),
                       "{}", std::string(64, '0'), std::string(64, 'f')});
  }
  return records;
}

std::vector<std::int64_t> seqs_in(const std::filesystem::path& file) {
  std::vector<std::int64_t> seqs;
  std::istringstream lines(read_text(file));
  for (std::string line; std::getline(lines, line);) {
    const auto record = parse_audit_json_line(line);
    EXPECT_TRUE(record) << line;
    if (record) seqs.push_back(record->seq);
  }
  return seqs;
}

SinkOutcome deliver_now(JsonlFileSink& sink, const std::vector<AuditRecord>& records) {
  SinkOutcome result{false, "not called", "", 0};
  sink.deliver(records, [&result](SinkOutcome outcome) { result = std::move(outcome); });
  return result;
}

TEST(JsonlFileSink, AppendsOneLinePerRecordPrivately) {
  jit::testing::TempDir dir;
  JsonlFileSink sink({dir / "audit.jsonl", 1 << 20, 3});
  EXPECT_EQ(sink.position_key(), "file:" + (dir / "audit.jsonl").string());
  ASSERT_TRUE(deliver_now(sink, file_sink_records(1, 3)).ok);
  ASSERT_TRUE(deliver_now(sink, file_sink_records(4, 5)).ok);
  EXPECT_EQ(seqs_in(dir / "audit.jsonl"), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(read_text(dir / "audit.jsonl")
                  .starts_with(audit_json_line(file_sink_records(1, 1)[0]) + "\n"));
  struct stat info {};
  ASSERT_EQ(::stat((dir / "audit.jsonl").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // A new sink on the same file (a restart) appends.
  sink.close();
  JsonlFileSink again({dir / "audit.jsonl", 1 << 20, 3});
  ASSERT_TRUE(deliver_now(again, file_sink_records(6, 6)).ok);
  EXPECT_EQ(seqs_in(dir / "audit.jsonl").size(), 6u);
}

TEST(JsonlFileSink, RotatesBeforeALineWouldPassMaxBytesAndKeepsKeepFiles) {
  jit::testing::TempDir dir;
  const auto line_bytes = audit_json_line(file_sink_records(1, 1)[0]).size() + 1;
  // Three lines fit, the fourth would not.
  JsonlFileSink sink({dir / "audit.jsonl", 3 * line_bytes + line_bytes / 2, 2});
  ASSERT_TRUE(deliver_now(sink, file_sink_records(1, 5)).ok);
  EXPECT_EQ(seqs_in(dir / "audit.jsonl.1"), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(seqs_in(dir / "audit.jsonl"), (std::vector<std::int64_t>{4, 5}));
  ASSERT_TRUE(deliver_now(sink, file_sink_records(6, 11)).ok);
  // 1-3 rotated out twice: gone (keep 2); every file at most max_bytes.
  EXPECT_FALSE(std::filesystem::exists(dir / "audit.jsonl.3"));
  EXPECT_EQ(seqs_in(dir / "audit.jsonl.2"), (std::vector<std::int64_t>{4, 5, 6}));
  EXPECT_EQ(seqs_in(dir / "audit.jsonl.1"), (std::vector<std::int64_t>{7, 8, 9}));
  EXPECT_EQ(seqs_in(dir / "audit.jsonl"), (std::vector<std::int64_t>{10, 11}));
  for (const char* name : {"audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"}) {
    EXPECT_LE(std::filesystem::file_size(dir / name), 3 * line_bytes + line_bytes / 2) << name;
  }
}

TEST(JsonlFileSink, AFileThatCannotBeOpenedFailsTheBatchAndNamesIt) {
  jit::testing::TempDir dir;
  std::filesystem::create_directory(dir / "audit.jsonl");  // a folder where the file should be
  JsonlFileSink sink({dir / "audit.jsonl", 1 << 20, 2});
  const auto outcome = deliver_now(sink, file_sink_records(1, 2));
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.reason, "file_io");
  EXPECT_NE(outcome.error.find((dir / "audit.jsonl").string()), std::string::npos) << outcome.error;
  EXPECT_EQ(outcome.delivered_through, 0);
}

TEST(JsonlFileSink, ABatchCutShortByAFullDiskLeavesNoPartLineAndIsWrittenWholeOnRetry) {
  jit::testing::TempDir dir;
  JsonlFileSink sink({dir / "audit.jsonl", 1 << 20, 2});
  ASSERT_TRUE(deliver_now(sink, file_sink_records(1, 2)).ok);
  const auto before = std::filesystem::file_size(dir / "audit.jsonl");
  // A file size limit stands in for a full disk: the third line is written only in part.
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit small = old_limit;
  small.rlim_cur = before + 20;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const auto failed = deliver_now(sink, file_sink_records(3, 4));
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.reason, "file_io");
  EXPECT_EQ(std::filesystem::file_size(dir / "audit.jsonl"), before);  // cut back
  ASSERT_TRUE(deliver_now(sink, file_sink_records(3, 4)).ok);
  EXPECT_EQ(seqs_in(dir / "audit.jsonl"), (std::vector<std::int64_t>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace jit::broker
