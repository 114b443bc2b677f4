// Issue 14 C10: the tampering an outside review did on a copy of the database (delete the
// break-glass records, renumber `seq`, recompute every hash as plain SHA-256) must be found by
// `jit-broker audit verify`, and so must a truncated chain when the verifier holds a trusted head.
#include "broker/admin/admin_commands.hpp"
#include "broker/broker_app.hpp"
#include "config/broker_config.hpp"
#include "support/plain_audit_chain.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace jit::broker {
namespace {

// The review's tampering: delete every break-glass record, renumber the rest 1..n and recompute
// the whole chain with plain SHA-256, as the hashes looked before the chain was keyed.
void delete_breakglass_and_rechain(const std::filesystem::path& file) {
  SQLite::Database db(file.string(), SQLite::OPEN_READWRITE);
  auto rows = jit::testing::read_audit_rows(db);
  std::erase_if(rows, [](const auto& row) { return row.action.starts_with("breakglass"); });
  jit::testing::write_plain_chain(db, rows);
}

class AuditTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.data_dir = dir_ / "data";
    config_.data_key_file = dir_ / "keys" / "data.key";
    std::filesystem::create_directories(config_.data_dir);
    std::filesystem::create_directories(config_.data_key_file.parent_path());
    auto store = open_broker_store(config_);
    for (const auto& [actor, action] :
         std::vector<std::pair<std::string, std::string>>{{"alice", "request.create"},
                                                          {"erin", "breakglass.create"},
                                                          {"system", "grant.create"},
                                                          {"carol", "request.approve"},
                                                          {"erin", "breakglass.create"},
                                                          {"system", "grant.expire"}}) {
      ASSERT_FALSE(store->write_sync([&, actor = actor, action = action](WriteContext& tx) {
        tx.audit({actor, action, "request/x", "{}"});
        return boost::system::error_code{};
      }));
    }
    store->close();
    // The attacker works on a copy, in a data folder of its own (same data key file).
    copy_ = config_;
    copy_.data_dir = dir_ / "copy";
    std::filesystem::create_directories(copy_.data_dir);
    SQLite::Database source((config_.data_dir / "broker.db").string(), SQLite::OPEN_READONLY);
    source.exec("VACUUM INTO '" + (copy_.data_dir / "broker.db").string() + "'");
  }

  int verify(const config::BrokerConfig& config, const AuditVerifyOptions& options = {}) {
    out_.str("");
    err_.str("");
    return run_audit_verify(config, options, out_, err_);
  }

  std::string head_of(const config::BrokerConfig& config) {
    SQLite::Database db((config.data_dir / "broker.db").string(), SQLite::OPEN_READONLY);
    return db.execAndGet("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").getString();
  }

  jit::testing::TempDir dir_;
  config::BrokerConfig config_;
  config::BrokerConfig copy_;
  std::ostringstream out_, err_;
};

TEST_F(AuditTamperTest, UntouchedCopyVerifies) {
  EXPECT_EQ(verify(copy_), 0) << err_.str();
  EXPECT_NE(out_.str().find("audit chain ok"), std::string::npos) << out_.str();
}

TEST_F(AuditTamperTest, DeletedBreakGlassRecordsWithRecomputedPlainHashesAreDetected) {
  delete_breakglass_and_rechain(copy_.data_dir / "broker.db");
  EXPECT_NE(verify(copy_), 0) << out_.str();
  EXPECT_NE(err_.str().find("audit chain BROKEN at record 1"), std::string::npos) << err_.str();
  EXPECT_EQ(verify(config_), 0) << err_.str();  // the original is untouched
}

TEST_F(AuditTamperTest, TruncationIsDetectedWithATrustedHeadOrRecordCount) {
  AuditVerifyOptions by_head;
  by_head.head = head_of(config_);
  AuditVerifyOptions by_count;
  SQLite::Database original((config_.data_dir / "broker.db").string(), SQLite::OPEN_READONLY);
  by_count.expect_records = original.execAndGet("SELECT count(*) FROM audit").getInt64();
  EXPECT_EQ(verify(copy_, by_head), 0) << err_.str();
  EXPECT_EQ(verify(copy_, by_count), 0) << err_.str();
  {
    SQLite::Database db((copy_.data_dir / "broker.db").string(), SQLite::OPEN_READWRITE);
    db.exec("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)");
  }
  // Without a trusted head a cut-off tail looks like a shorter log; with one it does not.
  EXPECT_EQ(verify(copy_), 0) << err_.str();
  EXPECT_NE(verify(copy_, by_head), 0);
  EXPECT_NE(err_.str().find("trusted head"), std::string::npos) << err_.str();
  EXPECT_NE(verify(copy_, by_count), 0);
  EXPECT_NE(err_.str().find("truncated"), std::string::npos) << err_.str();
}

TEST_F(AuditTamperTest, AnotherDataKeyDoesNotVerifyTheChain) {
  // The chain is keyed by the data key file, which is not in the database.
  copy_.data_key_file = dir_ / "other.key";
  std::ofstream(copy_.data_key_file) << std::string(32, 'k');
  std::filesystem::permissions(copy_.data_key_file, std::filesystem::perms::owner_read |
                                                        std::filesystem::perms::owner_write);
  EXPECT_NE(verify(copy_), 0);
}

}  // namespace
}  // namespace jit::broker
