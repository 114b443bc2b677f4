// Schema version 6 keys the audit chain: a database written before it (plain SHA-256 chain) is
// re-keyed in place when the broker opens it, and the "audit.rekey" record states what the old
// chain was (record count, head, intact or where it broke) so an auditor can tie the two.
#include "broker/admin/admin_commands.hpp"
#include "broker/store/db/sqlite_connection.hpp"
#include "broker/store/migrations.hpp"
#include "broker/store/store.hpp"
#include "support/plain_audit_chain.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <fstream>
#include <sstream>

namespace jit::broker {
namespace {

namespace json = boost::json;
using jit::testing::PlainAuditRow;

const std::vector<PlainAuditRow> kOldRecords = {
    {1'000'000, "alice", "request.create", "request/a", "{}"},
    {2'000'000, "erin", "breakglass.create", "request/b", R"({"incident":"INC-1"})"},
    {3'000'000, "system", "grant.create", "grant/c", "{}"},
};

class AuditRekeyTest : public ::testing::Test {
 protected:
  // A database as version 2 left it, with the old records under plain hashes.
  std::string make_version_2_database() {
    SQLite::Database db(file().string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db::SqliteConnection connection(db);
    migrate(connection, key_, 2);
    return jit::testing::write_plain_chain(db, kOldRecords);
  }

  json::object rekey_details(SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT seq, actor, details FROM audit WHERE action = 'audit.rekey'");
    EXPECT_TRUE(q.executeStep());
    EXPECT_EQ(q.getColumn(0).getInt64(), static_cast<std::int64_t>(kOldRecords.size()) + 1);
    EXPECT_EQ(q.getColumn(1).getString(), "system");
    auto details = json::parse(q.getColumn(2).getString()).as_object();
    EXPECT_FALSE(q.executeStep());  // exactly one
    return details;
  }

  std::filesystem::path file() const { return dir_ / "broker.db"; }

  jit::testing::TempDir dir_;
  const AuditChainKey key_ = jit::testing::test_audit_key();
};

TEST_F(AuditRekeyTest, OldPlainChainIsReKeyedKeepingEveryRecord) {
  const std::string old_head = make_version_2_database();
  auto store = Store::open(file(), key_);
  store->read([&](SQLite::Database& db) {
    db::SqliteConnection connection(db);
    EXPECT_EQ(schema_version(connection), latest_schema_version());
    const auto result = verify_audit_chain(connection, key_);
    EXPECT_TRUE(result.ok) << result.problem;
    EXPECT_EQ(result.records, static_cast<std::int64_t>(kOldRecords.size()) + 1);
    // The records themselves are unchanged; only their hashes are now keyed.
    auto rows = jit::testing::read_audit_rows(db);
    ASSERT_EQ(rows.size(), kOldRecords.size() + 1);
    for (std::size_t i = 0; i < kOldRecords.size(); ++i) {
      EXPECT_EQ(rows[i].action, kOldRecords[i].action);
      EXPECT_EQ(rows[i].details, kOldRecords[i].details);
    }
    const auto details = rekey_details(db);
    const auto& legacy = details.at("legacy_chain").as_object();
    EXPECT_EQ(legacy.at("records").to_number<std::int64_t>(), 3);
    EXPECT_EQ(legacy.at("head").as_string(), old_head);
    EXPECT_TRUE(legacy.at("intact").as_bool());
    // A plain hash no longer verifies anywhere.
    EXPECT_FALSE(verify_audit_chain(connection, AuditChainKey(ca::Bytes(32, std::byte{0}))).ok);
  });
  // New records extend the keyed chain.
  ASSERT_FALSE(store->write_sync([](WriteContext& tx) {
    tx.audit({"alice", "request.create", "request/d", "{}"});
    return boost::system::error_code{};
  }));
  EXPECT_TRUE(
      store->read([&](broker::db::Connection& db) { return verify_audit_chain(db, key_).ok; }));
}

TEST_F(AuditRekeyTest, ABrokenOldChainIsStatedInTheRekeyRecord) {
  make_version_2_database();
  {
    SQLite::Database db(file().string(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE audit SET actor = 'mallory' WHERE seq = 2");
  }
  Store::open(file(), key_)->read([&](SQLite::Database& db) {
    const auto legacy = rekey_details(db).at("legacy_chain").as_object();
    EXPECT_FALSE(legacy.at("intact").as_bool());
    EXPECT_EQ(legacy.at("first_bad_seq").to_number<std::int64_t>(), 2);
    return 0;
  });
}

TEST_F(AuditRekeyTest, NewDatabaseStartsWithAnEmptyKeyedChain) {
  Store::open(file(), key_)->read([&](SQLite::Database& db) {
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM audit").getInt(), 0);
    return 0;
  });
}

TEST_F(AuditRekeyTest, VerifyRefusesADatabaseWhoseChainIsNotKeyedYet) {
  // Also what an attacker gains by setting user_version back: nothing verifies.
  make_version_2_database();
  config::BrokerConfig config;
  config.data_dir = dir_.path();
  config.data_key_file = dir_ / "data.key";
  {
    std::ofstream(config.data_key_file) << std::string(32, 'k');
    std::filesystem::permissions(config.data_key_file, std::filesystem::perms::owner_read |
                                                           std::filesystem::perms::owner_write);
  }
  std::ostringstream out, err;
  EXPECT_EQ(run_audit_verify(config, {}, out, err), 1);
  EXPECT_NE(err.str().find("not keyed"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace jit::broker
