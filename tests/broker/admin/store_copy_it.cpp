// `jit-broker store copy` as an operator moves a broker (docs/operations.md, "PostgreSQL"): a
// SQLite broker with users, a request, its approvals, a grant and SSH certificates is copied into
// an empty PostgreSQL 15 (tests/support/postgres_server.hpp), `serve` on the copy answers with the
// old sessions and grant and mints a serial above the copied ones, and the way back into a new
// SQLite file verifies too. Refusals: a target that is not empty, a password on the command line, a
// source schema newer than the binary, a broker serving from the source; and backup and restore on
// PostgreSQL.
#include "broker/client/http_client.hpp"
#include "broker/store/migrations.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/files.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/ssh_process.hpp"
#include "tests/support/unused_totp_codes.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <optional>

namespace jit::broker {
namespace {

using jit::testing::BrokerProcess;
using jit::testing::PostgresServer;

constexpr const char* kStoreCopySqliteYaml = "";
constexpr const char* kStoreCopyPostgresYaml = "store: {backend: postgresql, url_file: pg.url}\n";

class StoreCopyIt : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = PostgresServer::shared().create_database();
    url_ = PostgresServer::shared().url(database_);
    jit::testing::write_text(broker_.dir() / "pg.url", url_ + "\n");
    ::chmod((broker_.dir() / "pg.url").c_str(), 0600);
  }

  std::string pg_url() const { return (broker_.dir() / "pg.url").string(); }

  void use_store(const char* yaml) { broker_.write_config({"127.0.0.1:0", "data", yaml}); }

  std::pair<unsigned, std::string> call(const std::string& target, const std::string& user,
                                        const std::optional<boost::json::object>& body) {
    ClientRequest request;
    request.method = body ? boost::beast::http::verb::post : boost::beast::http::verb::get;
    request.url = *parse_url("https://localhost:" + std::to_string(broker_.port()) + target);
    if (body) request.body = boost::json::serialize(*body);
    if (!user.empty()) request.headers.push_back({"Authorization", "Bearer " + tokens_.at(user)});
    auto answer = fetch({broker_.ca_file()}, request);
    if (!answer) return {0, answer.error().message()};
    return {answer->status, answer->body};
  }

  // An SSH certificate for the grant; its serial.
  std::int64_t mint(const std::string& grant) {
    auto [status, body] = call("/v1/grants/" + grant + "/ssh-cert", "alice",
                               boost::json::object{{"public_key", public_key_}});
    EXPECT_EQ(status, 201u) << body << broker_.errors();
    if (status != 201u) return -1;
    return boost::json::parse(body).at("serial").to_number<std::int64_t>();
  }

  // A SQLite broker with real content: three enrolled users signed in, a request approved by two
  // of them, its grant, and two SSH certificates. Answers the grant id; the broker is stopped.
  std::string make_sqlite_broker_with_content() {
    use_store(kStoreCopySqliteYaml);
    for (const char* user : {"alice", "carol", "dave"}) secrets_[user] = broker_.enroll(user);
    broker_.start();
    for (const char* user : {"alice", "carol", "dave"}) {
      auto [status, body] =
          call("/v1/login", "",
               boost::json::object{{"user", user},
                                   {"password", std::string(jit::testing::kTestPassword)},
                                   {"mfa", {{"totp", totp_codes_.next(user, secrets_.at(user))}}}});
      EXPECT_EQ(status, 200u) << body;
      tokens_[user] = std::string(boost::json::parse(body).at("token").as_string());
    }
    auto [created, created_body] = call("/v1/requests", "alice",
                                        boost::json::object{{"role", "prod-db-read"},
                                                            {"reason", "moving the store"},
                                                            {"ticket", "OPS-17"},
                                                            {"duration", "1h"}});
    EXPECT_EQ(created, 201u) << created_body;
    const std::string id(boost::json::parse(created_body).at("id").as_string());
    for (const char* approver : {"carol", "dave"}) {
      auto [status, body] =
          call("/v1/requests/" + id + "/approve", approver,
               boost::json::object{
                   {"mfa", {{"totp", totp_codes_.next(approver, secrets_.at(approver))}}}});
      EXPECT_EQ(status, 200u) << body;
    }
    auto [request_status, request_body] = call("/v1/requests/" + id, "alice", std::nullopt);
    EXPECT_EQ(request_status, 200u) << request_body;
    const std::string grant(boost::json::parse(request_body).at("grant").at("id").as_string());
    const auto key =
        jit::testing::ssh_keygen_new_key(broker_.dir(), "alice_key", {"-t", "ed25519"});
    public_key_ = jit::testing::read_text(key.string() + ".pub");
    for (int i = 0; i < 2; ++i) last_serial_ = std::max(last_serial_, mint(grant));
    EXPECT_EQ(broker_.stop(), 0) << broker_.errors();
    return grant;
  }

  std::tuple<int, std::string, std::string> copy(std::vector<std::string> args,
                                                 std::vector<std::string> env = {}) {
    args.insert(args.begin(), {"store", "copy"});
    return broker_.admin(std::move(args), {}, std::move(env));
  }

  BrokerProcess broker_;
  std::string database_;
  std::string url_;
  std::map<std::string, ca::Bytes> secrets_;
  jit::testing::UnusedTotpCodes totp_codes_;
  std::map<std::string, std::string> tokens_;
  std::string public_key_;
  std::int64_t last_serial_ = 0;
};

// Moves a SQLite database with its -wal and -shm files (a read-only reader leaves them behind).
void move_sqlite_database(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::rename(from, to);
  for (const char* suffix : {"-wal", "-shm"}) {
    if (std::filesystem::exists(from.string() + suffix)) {
      std::filesystem::rename(from.string() + suffix, to.string() + suffix);
    }
  }
}

// The number before " rows" on the summary line of `table`.
std::int64_t summary_rows_of(const std::string& out, const std::string& table) {
  const auto line = out.find("  " + table + " ");
  if (line == std::string::npos) return -1;
  const auto rows = out.find(" rows", line);
  const auto number = out.find_last_of(' ', rows - 1);
  return std::stoll(out.substr(number + 1, rows - number - 1));
}

TEST_F(StoreCopyIt, SqliteBrokerMovesToPostgresqlServesThereAndComesBack) {
  const std::string grant = make_sqlite_broker_with_content();
  ASSERT_GT(last_serial_, 0);

  auto [code, out, err] = copy({"--to-url-file", pg_url()});
  ASSERT_EQ(code, 0) << out << err;
  EXPECT_EQ(out.find(PostgresServer::kBrokerPassword), std::string::npos) << out;
  EXPECT_NE(out.find("schema version " + std::to_string(latest_schema_version())),
            std::string::npos)
      << out;
  EXPECT_EQ(summary_rows_of(out, "credentials"), 3) << out;
  EXPECT_EQ(summary_rows_of(out, "reviews"), 2) << out;
  EXPECT_EQ(summary_rows_of(out, "grants"), 1) << out;
  EXPECT_EQ(summary_rows_of(out, "certificates"), 2) << out;
  EXPECT_NE(out.find("audit chain verified on the copy: "), std::string::npos) << out;

  // The copy is the database of a broker: serve on it answers the old sessions and grant, mints a
  // serial above the copied ones and appends to the copied chain.
  use_store(kStoreCopyPostgresYaml);
  move_sqlite_database(broker_.database(), broker_.dir() / "data" / "before-copy.db");
  broker_.start();
  auto [grants_status, grants_body] = call("/v1/grants", "alice", std::nullopt);
  ASSERT_EQ(grants_status, 200u) << grants_body << broker_.errors();
  EXPECT_NE(grants_body.find(grant), std::string::npos) << grants_body;
  const std::int64_t serial = mint(grant);
  EXPECT_GT(serial, last_serial_);
  last_serial_ = serial;
  // A new review gets an id after the copied ones (the identity sequence was moved on).
  auto [second, second_body] = call("/v1/requests", "alice",
                                    boost::json::object{{"role", "prod-db-read"},
                                                        {"reason", "after the move"},
                                                        {"ticket", "OPS-18"},
                                                        {"duration", "1h"}});
  ASSERT_EQ(second, 201u) << second_body;
  const std::string id(boost::json::parse(second_body).at("id").as_string());
  auto [approved, approved_body] = call(
      "/v1/requests/" + id + "/approve", "carol",
      boost::json::object{{"mfa", {{"totp", totp_codes_.next("carol", secrets_.at("carol"))}}}});
  EXPECT_EQ(approved, 200u) << approved_body << broker_.errors();
  ASSERT_EQ(broker_.stop(), 0) << broker_.errors();
  EXPECT_FALSE(std::filesystem::exists(broker_.database()));  // PostgreSQL only
  auto [verify_code, verify_out, verify_err] = broker_.admin({"audit", "verify"});
  EXPECT_EQ(verify_code, 0) << verify_out << verify_err;
  EXPECT_NE(verify_out.find("audit chain ok: "), std::string::npos) << verify_out;

  // A second copy into the now used database is refused, and leaves it as it was.
  use_store(kStoreCopySqliteYaml);
  move_sqlite_database(broker_.dir() / "data" / "before-copy.db", broker_.database());
  auto [again_code, again_out, again_err] = copy({"--to-url-file", pg_url()});
  EXPECT_EQ(again_code, 2) << again_out << again_err;
  EXPECT_NE(again_err.find("is not empty"), std::string::npos) << again_err;

  // The way back: PostgreSQL into a new SQLite file, which a broker then serves from.
  move_sqlite_database(broker_.database(), broker_.dir() / "data" / "before-copy.db");
  auto [back_code, back_out, back_err] =
      copy({"--from-url-file", pg_url(), "--to-sqlite", broker_.database().string()});
  ASSERT_EQ(back_code, 0) << back_out << back_err;
  EXPECT_EQ(summary_rows_of(back_out, "reviews"), 3) << back_out;
  EXPECT_EQ(summary_rows_of(back_out, "certificates"), 3) << back_out;
  auto [back_verify, back_verify_out, back_verify_err] = broker_.admin({"audit", "verify"});
  EXPECT_EQ(back_verify, 0) << back_verify_out << back_verify_err;
  broker_.start();
  EXPECT_GT(mint(grant), last_serial_);
  ASSERT_EQ(broker_.stop(), 0) << broker_.errors();

  // A SQLite target that exists is refused too.
  auto [exists_code, exists_out, exists_err] =
      copy({"--from-url-file", pg_url(), "--to-sqlite", broker_.database().string()});
  EXPECT_EQ(exists_code, 2) << exists_out << exists_err;
  EXPECT_NE(exists_err.find("exists"), std::string::npos) << exists_err;
}

TEST_F(StoreCopyIt, RefusesAPasswordOnTheCommandLineANewerSchemaAndARunningBroker) {
  (void)make_sqlite_broker_with_content();
  const std::string with_password =
      "postgresql://jit:" + std::string(PostgresServer::kBrokerPassword) +
      "@127.0.0.1:" + std::to_string(PostgresServer::shared().port()) + "/postgres";
  auto [code, out, err] = copy({"--to", with_password});
  EXPECT_EQ(code, 2) << out << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("--to-url-env"), std::string::npos) << err;
  EXPECT_EQ(err.find(PostgresServer::kBrokerPassword), std::string::npos) << err;

  // A source from a newer jit-broker: nothing is created in the target.
  const auto newer = broker_.dir() / "newer.db";
  std::filesystem::copy_file(broker_.database(), newer);
  {
    SQLite::Database db(newer.string(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = " + std::to_string(latest_schema_version() + 1));
  }
  auto [newer_code, newer_out, newer_err] =
      copy({"--from-sqlite", newer.string(), "--to-url-file", pg_url()});
  EXPECT_EQ(newer_code, 2) << newer_out << newer_err;
  EXPECT_NE(newer_err.find("newer than this jit-broker"), std::string::npos) << newer_err;

  // The broker serving from the source holds its data folder.
  broker_.start();
  auto [busy_code, busy_out, busy_err] = copy({"--to-url-file", pg_url()});
  EXPECT_EQ(busy_code, 2) << busy_out << busy_err;
  EXPECT_NE(busy_err.find("in use by another jit-broker"), std::string::npos) << busy_err;
  ASSERT_EQ(broker_.stop(), 0) << broker_.errors();

  // The target is still empty: the copies that were refused wrote nothing, so this one goes
  // through; `--to` without a password, which libpq takes from the PGPASSFILE.
  const auto pgpass = broker_.dir() / "pgpass";
  jit::testing::write_text(pgpass, "127.0.0.1:" + std::to_string(PostgresServer::shared().port()) +
                                       ":" + database_ + ":jit:" + PostgresServer::kBrokerPassword +
                                       "\n");
  ::chmod(pgpass.c_str(), 0600);
  auto [ok_code, ok_out, ok_err] =
      copy({"--to", "host=127.0.0.1 port=" + std::to_string(PostgresServer::shared().port()) +
                        " dbname=" + database_ + " user=jit"},
           {"PGPASSFILE=" + pgpass.string()});
  EXPECT_EQ(ok_code, 0) << ok_out << ok_err;
  EXPECT_NE(ok_out.find("to PostgreSQL database (--to)"), std::string::npos) << ok_out;

  // Backup copies SQLite files: on PostgreSQL it points to PostgreSQL's tools.
  use_store(kStoreCopyPostgresYaml);
  auto [backup_code, backup_out, backup_err] =
      broker_.admin({"backup", (broker_.dir() / "backup.db").string()});
  EXPECT_EQ(backup_code, 2) << backup_out << backup_err;
  EXPECT_NE(backup_err.find("pg_dump"), std::string::npos) << backup_err;
  auto [restore_code, restore_out, restore_err] =
      broker_.admin({"restore", (broker_.dir() / "newer.db").string()});
  EXPECT_EQ(restore_code, 2) << restore_out << restore_err;
  EXPECT_NE(restore_err.find("pg_basebackup"), std::string::npos) << restore_err;
}

}  // namespace
}  // namespace jit::broker
