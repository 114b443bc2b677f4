#include "broker/store/audit_chain.hpp"
#include "broker/store/migrations.hpp"
#include "support/temp_dir.hpp"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

namespace jit::broker {
namespace {

class AuditChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<SQLite::Database>((dir_ / "audit.db").string(),
                                             SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    migrate(*db_);
    AuditHead head;
    for (int i = 1; i <= 5; ++i) {
      append_audit(*db_, head, {"alice", "request.create", "request/" + std::to_string(i), "{}"},
                   1'000'000 * i);
    }
    head_ = head;
  }
  jit::testing::TempDir dir_;
  std::unique_ptr<SQLite::Database> db_;
  AuditHead head_;
};

TEST_F(AuditChainTest, IntactChainVerifiesWithCountAndHead) {
  const auto result = verify_audit_chain(*db_);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.records, 5);
  EXPECT_EQ(result.head_hash, head_.hash);
  EXPECT_EQ(load_audit_head(*db_).hash, head_.hash);
}

TEST_F(AuditChainTest, EmptyChainVerifies) {
  db_->exec("DELETE FROM audit");
  const auto result = verify_audit_chain(*db_);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.records, 0);
  EXPECT_EQ(result.head_hash, kAuditGenesisHash);
}

TEST_F(AuditChainTest, EditedFieldIsDetectedAtThatRecord) {
  db_->exec("UPDATE audit SET actor = 'mallory' WHERE seq = 3");
  const auto result = verify_audit_chain(*db_);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 3);
  EXPECT_NE(result.problem.find("edited"), std::string::npos);
}

TEST_F(AuditChainTest, EveryFieldIsCoveredByTheHash) {
  for (const char* column :
       {"time_us = time_us + 1", "action = 'x'", "object = 'x'", "details = '{\"a\":1}'"}) {
    db_->exec("DELETE FROM audit");
    AuditHead head;
    for (int i = 1; i <= 3; ++i) append_audit(*db_, head, {"a", "b", "c", "{}"}, i);
    db_->exec(std::string("UPDATE audit SET ") + column + " WHERE seq = 2");
    const auto result = verify_audit_chain(*db_);
    EXPECT_FALSE(result.ok) << column;
    EXPECT_EQ(result.first_bad_seq, 2) << column;
  }
}

TEST_F(AuditChainTest, RecomputedHashStillBreaksTheNextLink) {
  // An attacker who edits a record and recomputes its hash breaks the following record's link.
  db_->exec("UPDATE audit SET actor = 'mallory' WHERE seq = 2");
  SQLite::Statement read(
      *db_,
      "SELECT seq, time_us, actor, action, object, details, prev_hash FROM audit WHERE seq = 2");
  ASSERT_TRUE(read.executeStep());
  AuditRecord record{read.getColumn(0).getInt64(),  read.getColumn(1).getInt64(),
                     read.getColumn(2).getString(), read.getColumn(3).getString(),
                     read.getColumn(4).getString(), read.getColumn(5).getString(),
                     read.getColumn(6).getString(), {}};
  read.reset();
  SQLite::Statement update(*db_, "UPDATE audit SET hash = ? WHERE seq = 2");
  update.bind(1, audit_record_hash(record));
  update.exec();
  const auto result = verify_audit_chain(*db_);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 3);
}

TEST_F(AuditChainTest, DeletedRecordIsDetected) {
  db_->exec("DELETE FROM audit WHERE seq = 2");
  const auto result = verify_audit_chain(*db_);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 3);
  EXPECT_NE(result.problem.find("deleted"), std::string::npos);
}

TEST_F(AuditChainTest, ReorderedRecordsAreDetected) {
  // Swap the contents of records 2 and 4 while keeping the sequence numbers.
  db_->exec(
      "UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 4; "
      "UPDATE audit SET seq = 4 WHERE seq = -2;");
  const auto result = verify_audit_chain(*db_);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 2);
}

}  // namespace
}  // namespace jit::broker
