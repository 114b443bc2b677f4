// `jit-broker audit verify --against FILE` (broker/admin/audit_copy_check.hpp): a faithful copy of
// the chain passes; a record altered, missing, repeated, moved or not from this chain is named by
// line and seq.
#include "broker/admin/audit_copy_check.hpp"
#include "broker/store/store.hpp"
#include "broker/workers/audit_stream_format.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace jit::broker {
namespace {

class AuditCopyCheckTest : public ::testing::Test {
 protected:
  AuditCopyCheckTest() {
    for (int i = 1; i <= 6; ++i) {
      EXPECT_FALSE(store_->write_sync([i](WriteContext& tx) {
        tx.audit({"alice", "test.copy", "object/" + std::to_string(i),
                  R"({"n":)" + std::to_string(i) + "}"});
        return boost::system::error_code{};
      }));
    }
    const auto records =
        store_->read([](broker::db::Connection& db) { return read_audit_records(db, 0, 100); });
    for (const auto& record : records) lines_.push_back(audit_json_line(record));
  }
  AuditCopyReport check(const std::vector<std::string>& lines, std::int64_t from = 0) {
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    std::istringstream copy(text);
    return store_->read([&](broker::db::Connection& db) {
      return check_audit_copy(copy, db, store_->audit_key(), from);
    });
  }

  jit::testing::TempDir dir_;
  std::unique_ptr<Store> store_ = Store::open(dir_ / "broker.db", jit::testing::test_audit_key());
  std::vector<std::string> lines_;  // the faithful copy, seq 1..6
};

TEST_F(AuditCopyCheckTest, AFaithfulCopyPasses) {
  const auto report = check(lines_);
  EXPECT_TRUE(report.ok(false));
  EXPECT_EQ(report.records, 6);
  EXPECT_EQ(report.first_seq, 1);
  EXPECT_EQ(report.last_seq, 6);
  EXPECT_EQ(report.newer_in_database, 0);
  // A copy that starts later (a sink added later) or lags behind is fine too.
  const auto tail = check({lines_[2], lines_[3]});
  EXPECT_TRUE(tail.ok(false));
  EXPECT_EQ(tail.newer_in_database, 2);
}

TEST_F(AuditCopyCheckTest, AnAlteredLineIsNamed) {
  auto lines = lines_;
  lines[2].replace(lines[2].find("alice"), 5, "mallo");
  const auto report = check(lines);
  EXPECT_FALSE(report.ok(true));
  ASSERT_EQ(report.mismatched.size(), 1u);
  EXPECT_EQ(report.mismatched[0].line, 3);
  EXPECT_EQ(report.mismatched[0].seq, 3);
  EXPECT_NE(report.mismatched[0].what.find("altered"), std::string::npos);
}

TEST_F(AuditCopyCheckTest, ARecordOfAnotherChainIsNamed) {
  // Self-consistent under the same key but not the database's record 2 (a forged seq).
  auto record = parse_audit_json_line(lines_[1]).value();
  record.object = "object/forged";
  record.hash = audit_record_hash(store_->audit_key(), record);
  auto lines = lines_;
  lines[1] = audit_json_line(record);
  const auto report = check(lines);
  ASSERT_EQ(report.mismatched.size(), 1u);
  EXPECT_EQ(report.mismatched[0].seq, 2);
  EXPECT_NE(report.mismatched[0].what.find("database"), std::string::npos);
}

TEST_F(AuditCopyCheckTest, MissingLinesAreCountedAsRanges) {
  const auto report = check({lines_[0], lines_[2], lines_[5]});
  EXPECT_FALSE(report.ok(true));
  EXPECT_EQ(report.missing, 3);
  EXPECT_EQ(report.missing_ranges, (std::vector<std::string>{"2", "4-5"}));
  // A first line deleted is seen only against the first record expected.
  EXPECT_TRUE(check({lines_[1], lines_[2]}).ok(false));
  const auto from_one = check({lines_[1], lines_[2]}, 1);
  EXPECT_EQ(from_one.missing_ranges, (std::vector<std::string>{"1"}));
}

TEST_F(AuditCopyCheckTest, DuplicatedLinesFailUnlessAllowed) {
  auto lines = lines_;
  lines.insert(lines.begin() + 4, lines_[3]);  // record 4 twice, as a resend would
  const auto report = check(lines);
  ASSERT_EQ(report.duplicated.size(), 1u);
  EXPECT_EQ(report.duplicated[0].line, 5);
  EXPECT_EQ(report.duplicated[0].seq, 4);
  EXPECT_TRUE(report.out_of_order.empty());
  EXPECT_FALSE(report.ok(false));
  EXPECT_TRUE(report.ok(true));
}

TEST_F(AuditCopyCheckTest, OutOfOrderAndMalformedLinesAreNamed) {
  auto lines = lines_;
  std::swap(lines[1], lines[3]);
  lines.insert(lines.begin() + 2, "<110>1 not json");
  const auto report = check(lines);
  EXPECT_FALSE(report.ok(true));
  // 1, 4, (not a record), 3, 2, 5, 6: records 3 and 2 come after 4.
  ASSERT_EQ(report.out_of_order.size(), 2u);
  EXPECT_EQ(report.out_of_order[0].seq, 3);
  EXPECT_EQ(report.out_of_order[0].line, 4);
  EXPECT_EQ(report.out_of_order[1].seq, 2);
  ASSERT_EQ(report.malformed.size(), 1u);
  EXPECT_EQ(report.malformed[0].line, 3);
  EXPECT_EQ(report.missing, 0);
  std::ostringstream out, err;
  print_audit_copy_report(report, "copy.jsonl", false, out, err);
  EXPECT_NE(err.str().find("audit copy copy.jsonl: line 3: not an audit record"), std::string::npos)
      << err.str();
  EXPECT_NE(err.str().find("does NOT match the chain"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace jit::broker
