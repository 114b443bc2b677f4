#include "broker/store/audit_chain.hpp"
#include "broker/store/db/sqlite_connection.hpp"
#include "broker/store/migrations.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

namespace jit::broker {
namespace {

class AuditChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<SQLite::Database>((dir_ / "audit.db").string(),
                                             SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    conn_ = std::make_unique<db::SqliteConnection>(*db_);
    migrate(*conn_, key_);
    AuditHead head;
    for (int i = 1; i <= 5; ++i) {
      append_audit(*conn_, key_, head,
                   {"alice", "request.create", "request/" + std::to_string(i), "{}"},
                   1'000'000 * i);
    }
    head_ = head;
  }
  jit::testing::TempDir dir_;
  const AuditChainKey key_ = jit::testing::test_audit_key();
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<db::SqliteConnection> conn_;  // db_ through the store's interface
  AuditHead head_;
};

TEST_F(AuditChainTest, IntactChainVerifiesWithCountAndHead) {
  const auto result = verify_audit_chain(*conn_, key_);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.records, 5);
  EXPECT_EQ(result.head_hash, head_.hash);
  EXPECT_EQ(load_audit_head(*conn_).hash, head_.hash);
}

TEST_F(AuditChainTest, EmptyChainVerifies) {
  db_->exec("DELETE FROM audit");
  const auto result = verify_audit_chain(*conn_, key_);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.records, 0);
  EXPECT_EQ(result.head_hash, kAuditGenesisHash);
}

TEST_F(AuditChainTest, EditedFieldIsDetectedAtThatRecord) {
  db_->exec("UPDATE audit SET actor = 'mallory' WHERE seq = 3");
  const auto result = verify_audit_chain(*conn_, key_);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 3);
  EXPECT_NE(result.problem.find("edited"), std::string::npos);
}

TEST_F(AuditChainTest, EveryFieldIsCoveredByTheHash) {
  for (const char* column :
       {"time_us = time_us + 1", "action = 'x'", "object = 'x'", "details = '{\"a\":1}'"}) {
    db_->exec("DELETE FROM audit");
    AuditHead head;
    for (int i = 1; i <= 3; ++i) append_audit(*conn_, key_, head, {"a", "b", "c", "{}"}, i);
    db_->exec(std::string("UPDATE audit SET ") + column + " WHERE seq = 2");
    const auto result = verify_audit_chain(*conn_, key_);
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
  update.bind(1, audit_record_hash(key_, record));
  update.exec();
  const auto result = verify_audit_chain(*conn_, key_);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 3);
}

TEST_F(AuditChainTest, DeletedRecordIsDetected) {
  db_->exec("DELETE FROM audit WHERE seq = 2");
  const auto result = verify_audit_chain(*conn_, key_);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 3);
  EXPECT_NE(result.problem.find("deleted"), std::string::npos);
}

TEST_F(AuditChainTest, ReorderedRecordsAreDetected) {
  // Swap the contents of records 2 and 4 while keeping the sequence numbers.
  db_->exec(
      "UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 4; "
      "UPDATE audit SET seq = 4 WHERE seq = -2;");
  const auto result = verify_audit_chain(*conn_, key_);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_seq, 2);
}

TEST_F(AuditChainTest, HashIsKeyedAndTrustedHeadDetectsTruncation) {
  // Under another key no record verifies: whoever lacks the key cannot recompute the chain.
  const AuditChainKey other(ca::Bytes(32, std::byte{1}));
  const auto foreign = verify_audit_chain(*conn_, other);
  EXPECT_FALSE(foreign.ok);
  EXPECT_EQ(foreign.first_bad_seq, 1);

  const std::string head3 = db_->execAndGet("SELECT hash FROM audit WHERE seq = 3").getString();
  EXPECT_TRUE(verify_audit_chain(*conn_, key_, {head3, 3}).ok);
  EXPECT_TRUE(verify_audit_chain(*conn_, key_, {head_.hash, 5}).ok);
  db_->exec("DELETE FROM audit WHERE seq >= 4");
  EXPECT_TRUE(verify_audit_chain(*conn_, key_).ok);  // a shorter chain is a valid chain...
  EXPECT_TRUE(verify_audit_chain(*conn_, key_, {head3, 3}).ok);
  const auto by_head = verify_audit_chain(*conn_, key_, {head_.hash, std::nullopt});
  EXPECT_FALSE(by_head.ok);  // ...unless the verifier knows a later head
  EXPECT_EQ(by_head.first_bad_seq, 4);
  EXPECT_NE(by_head.problem.find("trusted head"), std::string::npos);
  const auto by_count = verify_audit_chain(*conn_, key_, {std::nullopt, 5});
  EXPECT_FALSE(by_count.ok);
  EXPECT_NE(by_count.problem.find("truncated"), std::string::npos);
}

TEST_F(AuditChainTest, PagesReadInOrderAfterASequenceNumber) {
  const auto page = read_audit_records(*conn_, 2, 2);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, 3);
  EXPECT_EQ(page[1].seq, 4);
  EXPECT_EQ(page[1].prev_hash, page[0].hash);
  EXPECT_EQ(read_audit_records(*conn_, 5, 10).size(), 0u);
}

}  // namespace
}  // namespace jit::broker
