// copy_tables (broker/store/table_copy.hpp), the core of `jit-broker store copy`, on a real
// PostgreSQL 15: more rows than one cursor page and one audit-verify page travel SQLite ->
// PostgreSQL -> SQLite with their seqs, NULLs and BLOBs, and a column a later migration adds (the
// same on both sides) is copied without a change to the copy.
#include "broker/store/audit_chain.hpp"
#include "broker/store/db/postgres_connection.hpp"
#include "broker/store/db/sqlite_connection.hpp"
#include "broker/store/migrations.hpp"
#include "broker/store/store.hpp"
#include "broker/store/table_copy.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_audit_key.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace jit::broker {
namespace {

using jit::testing::PostgresServer;

// More than RowStream's page (500) and verify_audit_chain's (1000).
constexpr int kTableCopyAuditRecords = 1234;

std::int64_t table_copy_count(db::Connection& db, const std::string& sql) {
  db::Statement query(db, sql);
  EXPECT_TRUE(query.step());
  return query.get_int64(0);
}

std::int64_t copied_rows_of(const std::vector<TableCopied>& copied, const std::string& table) {
  const auto it = std::find_if(copied.begin(), copied.end(),
                               [&](const TableCopied& t) { return t.table == table; });
  return it == copied.end() ? -1 : it->rows;
}

TEST(TableCopyIt, ManyRowsAndALaterColumnGoToPostgresqlAndBack) {
  jit::testing::TempDir temp;
  const auto key = jit::testing::test_audit_key();
  {
    auto store = Store::open(temp / "source.db", key);
    ASSERT_FALSE(store->write_sync([](WriteContext& ctx) {
      for (int i = 0; i < kTableCopyAuditRecords; ++i) {
        ctx.audit({"alice", "test.step", "step/" + std::to_string(i), "{}"});
      }
      db::Statement user(ctx.db(),
                         "INSERT INTO credentials(user, password_hash, totp_secret, created_at, "
                         "updated_at) VALUES ('alice', 'hash', ?, 1, 2)");
      const std::vector<std::byte> secret{std::byte{0}, std::byte{0xff}, std::byte{7}};
      user.bind_bytes(1, secret);
      user.exec();
      return boost::system::error_code{};
    }));
  }
  // A column a later migration might add, on both sides (the copy reads columns at run time).
  const char* kLaterColumn = "ALTER TABLE event_outbox ADD COLUMN later_note TEXT";
  db::SqliteConnection source(open_connection(temp / "source.db", true));
  source.exec_script(kLaterColumn);
  source.exec_script(
      "INSERT INTO event_outbox(seq, event, data, created_at, event_id, later_note) VALUES "
      "(41, 'grant.created', '{}', 5, 'evt-1', 'broker-a'), (42, 'grant.ended', '{}', 6, 'evt-2', "
      "NULL)");

  const std::string url = PostgresServer::shared().url(PostgresServer::shared().create_database());
  auto postgres = db::PostgresConnection::connect(url);
  migrate(*postgres, key, latest_schema_version());
  postgres->exec_script(kLaterColumn);
  {
    source.exec_script("BEGIN");
    db::Transaction transaction(*postgres);
    const auto copied = copy_tables(source, *postgres);
    transaction.commit();
    source.exec_script("COMMIT");
    EXPECT_EQ(copied_rows_of(copied, "audit"), kTableCopyAuditRecords);
    EXPECT_EQ(copied_rows_of(copied, "event_outbox"), 2);
    EXPECT_EQ(copied_rows_of(copied, "credentials"), 1);
  }
  EXPECT_EQ(table_copy_count(*postgres,
                             "SELECT count(*) FROM event_outbox WHERE seq = 41 AND later_note "
                             "= 'broker-a'"),
            1);
  // The identity sequence was moved past the copied seqs: the next event gets 43.
  EXPECT_EQ(table_copy_count(*postgres,
                             "INSERT INTO event_outbox(event, data, created_at) VALUES ('x', "
                             "'{}', 7) RETURNING seq"),
            43);
  postgres->exec_script("DELETE FROM event_outbox WHERE seq = 43");

  // And back, reading PostgreSQL through the cursor a page at a time.
  db::SqliteConnection back(open_connection(temp / "back.db", true));
  migrate(back, key, latest_schema_version());
  back.exec_script(kLaterColumn);
  {
    postgres->exec_script("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    db::Transaction transaction(back);
    const auto copied = copy_tables(*postgres, back);
    transaction.commit();
    postgres->exec_script("COMMIT");
    EXPECT_EQ(copied_rows_of(copied, "audit"), kTableCopyAuditRecords);
  }
  const AuditVerification verified = verify_audit_chain(back, key);
  EXPECT_TRUE(verified.ok) << verified.problem;
  EXPECT_EQ(verified.records, kTableCopyAuditRecords);
  EXPECT_EQ(verified.head_hash, load_audit_head(source).hash);
  EXPECT_EQ(table_copy_count(back, "SELECT count(*) FROM event_outbox WHERE later_note IS NULL"),
            1);
  db::Statement secret(back, "SELECT totp_secret FROM credentials WHERE user = 'alice'");
  ASSERT_TRUE(secret.step());
  EXPECT_EQ(secret.get_bytes(0),
            (std::vector<std::byte>{std::byte{0}, std::byte{0xff}, std::byte{7}}));
}

// A target that already holds rows is what first_table_with_rows reports; the counters the
// migrations seed at 0 do not count.
TEST(TableCopyIt, AFreshlyMigratedDatabaseCountsAsEmpty) {
  const std::string url = PostgresServer::shared().url(PostgresServer::shared().create_database());
  auto postgres = db::PostgresConnection::connect(url);
  migrate(*postgres, jit::testing::test_audit_key(), latest_schema_version());
  EXPECT_EQ(first_table_with_rows(*postgres), std::nullopt);
  postgres->exec_script("UPDATE counters SET value = 3 WHERE name = 'ssh_serial'");
  EXPECT_EQ(first_table_with_rows(*postgres), std::optional<std::string>("counters"));
}

}  // namespace
}  // namespace jit::broker
