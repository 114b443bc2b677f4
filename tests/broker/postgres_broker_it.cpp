// One jit-broker whose whole state is in PostgreSQL (`store.backend: postgresql`, docs/
// architecture.md "Store backends (SQLite and PostgreSQL)"): the admin command and `serve` both
// open it, a TOTP code is single use there, the audit chain in the database verifies, a wrong
// password or a newer schema stops start-up with one line, and /readyz reports a database that
// refuses connections until it takes them again.
#include "approvals/totp.hpp"
#include "broker/auth/data_key.hpp"
#include "broker/auth/derived_keys.hpp"
#include "broker/store/db/postgres_connection.hpp"
#include "broker/store/migrations.hpp"
#include "broker/store/store.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/files.hpp"
#include "tests/support/http_test_client.hpp"
#include "tests/support/postgres_server.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <thread>
#include <utility>

namespace jit::broker {
namespace {

using jit::testing::BrokerProcess;
using jit::testing::ChildProcess;
using jit::testing::PostgresServer;
using testing::kJitBinary;

class PostgresBrokerIt : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = PostgresServer::shared().create_database();
    url_ = PostgresServer::shared().url(database_);
    use_url(url_);
    broker_.write_config(
        {"127.0.0.1:0", "data", "store: {backend: postgresql, url_file: pg.url}\n"});
  }
  void use_url(const std::string& url) {
    jit::testing::write_text(broker_.dir() / "pg.url", url + "\n");
    ::chmod((broker_.dir() / "pg.url").c_str(), 0600);
  }
  std::string totp_now(const ca::Bytes& secret) {
    return *approvals::totp_code(
        secret, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  }

  BrokerProcess broker_;
  std::string database_;
  std::string url_;
};

TEST_F(PostgresBrokerIt, EnrolsServesAndKeepsEveryRecordInPostgresql) {
  const ca::Bytes secret = broker_.enroll("alice");
  broker_.start();
  const std::filesystem::path& dir = broker_.dir();
  const std::string config_env = "JIT_CONFIG_DIR=" + (dir / "jit-config").string();
  const std::string code = totp_now(secret);
  auto [login_code, login_out, login_err] = ChildProcess::run(
      {kJitBinary, "--broker", "https://localhost:" + std::to_string(broker_.port()), "--ca-file",
       broker_.ca_file().string(), "login", "--user", "alice", "--password-stdin", "--totp", code},
      dir, {config_env}, std::string(jit::testing::kTestPassword) + "\n");
  ASSERT_EQ(login_code, 0) << login_err << broker_.errors();
  auto [who_code, who_out, who_err] = ChildProcess::run({kJitBinary, "whoami"}, dir, {config_env});
  EXPECT_EQ(who_code, 0) << who_err;
  EXPECT_NE(who_out.find("user alice"), std::string::npos) << who_out;
  // The code is spent in PostgreSQL: a replay is refused.
  auto [again_code, again_out, again_err] = ChildProcess::run(
      {kJitBinary, "login", "--user", "alice", "--password-stdin", "--totp", code}, dir,
      {config_env}, std::string(jit::testing::kTestPassword) + "\n");
  EXPECT_EQ(again_code, 2) << again_err;
  ASSERT_EQ(broker_.stop(), 0) << broker_.errors();

  EXPECT_FALSE(std::filesystem::exists(broker_.database()));  // nothing went to SQLite
  auto store = Store::open_postgresql(
      url_, audit_chain_key(load_or_create_data_key(dir / "data" / "data.key")));
  const auto verified =
      store->read([&](db::Connection& db) { return verify_audit_chain(db, store->audit_key()); });
  EXPECT_TRUE(verified.ok) << verified.problem;
  EXPECT_GE(verified.records, 3);  // enrol, login, the refused replay
}

TEST_F(PostgresBrokerIt, WrongPasswordOrNewerSchemaStopsStartUpWithOneLine) {
  const auto one_line_exit_2 = [this](const std::string& expected) {
    auto& serve = broker_.launch();
    EXPECT_EQ(serve.wait(std::chrono::seconds(20)), 2);
    const std::string err = serve.err();
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_NE(err.find(expected), std::string::npos) << err;
    EXPECT_EQ(err.find(PostgresServer::kBrokerPassword), std::string::npos) << err;
  };
  use_url(PostgresServer::shared().url(database_, PostgresServer::kBrokerRole, "wrong-password"));
  one_line_exit_2("PostgreSQL");

  use_url(url_);
  {
    auto connection = db::PostgresConnection::connect(url_);
    migrate(*connection, audit_chain_key(ca::Bytes(32, std::byte{1})));
    connection->exec_script("UPDATE jitbroker_schema SET version = " +
                            std::to_string(latest_schema_version() + 1));
  }
  one_line_exit_2("newer than this jit-broker understands");
}

// /readyz reads through the store's own connections: while the database refuses connections the
// broker answers 503 naming the database check (never the URL), and once it takes them again
// /readyz is 200 without a restart.
TEST_F(PostgresBrokerIt, ReadyzReportsADatabaseThatRefusesConnectionsUntilItIsBack) {
  (void)broker_.enroll("alice");
  broker_.start();
  const auto readyz = [this] {
    testing::TlsTestClient client(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(),
                                       static_cast<unsigned short>(broker_.port())),
        broker_.ca_file());
    if (client.connect()) return std::pair<unsigned, std::string>{0, ""};
    const auto answer = client.get("/readyz");
    return std::pair<unsigned, std::string>{answer.result_int(), answer.body()};
  };
  // The monitor probes every 2 s: poll for up to 10 s.
  const auto wait_for = [&](unsigned status) {
    auto last = readyz();
    for (int i = 0; i < 100 && last.first != status; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      last = readyz();
    }
    return last;
  };
  EXPECT_EQ(wait_for(200).first, 200u);

  const PostgresServer& server = PostgresServer::shared();
  server.admin_execute("ALTER DATABASE \"" + database_ + "\" ALLOW_CONNECTIONS false");
  server.admin_execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                       database_ + "'");
  const auto down = wait_for(503);
  EXPECT_EQ(down.first, 503u) << down.second;
  EXPECT_NE(down.second.find("\"database\":\"the database did not answer a read"),
            std::string::npos)
      << down.second;
  EXPECT_EQ(down.second.find(PostgresServer::kBrokerPassword), std::string::npos) << down.second;

  server.admin_execute("ALTER DATABASE \"" + database_ + "\" ALLOW_CONNECTIONS true");
  const auto back = wait_for(200);
  EXPECT_EQ(back.first, 200u) << back.second;
  (void)broker_.stop();
}

}  // namespace
}  // namespace jit::broker
