// `jit-broker store check` as an operator runs it against a real PostgreSQL 15
// (tests/support/postgres_server.hpp): what it reports about the server, TLS, the schema and the
// role's rights, and the one-line refusals with exit code 2 for a wrong password, an unreachable
// server and TLS the server does not offer - never with the password in the output.
#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/files.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/ssh_process.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

class StoreCheckIt : public ::testing::Test {
 protected:
  static PostgresServer& server() { return PostgresServer::shared(); }

  // `jit-broker store check --url-env JIT_PG_URL` with that variable set to `url`; no --config.
  ProcessResult check_with_env(const std::string& url) {
    const auto [code, out, err] =
        ChildProcess::run({kBrokerBinary, "store", "check", "--url-env", "JIT_PG_URL"}, dir_.path(),
                          {"JIT_PG_URL=" + url});
    return {code, out, err};
  }

  TempDir dir_;
};

// One line on stderr, nothing on stdout, exit 2, and no trace of `secret`.
void expect_store_check_refusal(const ProcessResult& result, const std::string& secret) {
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_TRUE(result.err.starts_with("jit-broker: ")) << result.err;
  EXPECT_EQ(result.err.find(secret), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find(secret), std::string::npos) << result.out;
}

TEST_F(StoreCheckIt, EmptyDatabaseOfTheBrokersRoleIsUsable) {
  const std::string database = server().create_database();
  const ProcessResult result = check_with_env(server().url(database));
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("server: PostgreSQL 15."), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("tls: not in use"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("database: " + database + ", role jit, schema public"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("contents: empty"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("create tables: yes"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("usable by this jit-broker"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find(PostgresServer::kBrokerPassword), std::string::npos);

  // The same from a file, as a URL.
  write_text(dir_ / "pg_url", "postgresql://jit:" + std::string(PostgresServer::kBrokerPassword) +
                                  "@127.0.0.1:" + std::to_string(server().port()) + "/" + database +
                                  "\n");
  // The file holds the password: one its group or others may read is refused, as other secrets.
  ::chmod((dir_ / "pg_url").c_str(), 0640);
  const auto [open_code, open_out, open_err] = ChildProcess::run(
      {kBrokerBinary, "store", "check", "--url-file", (dir_ / "pg_url").string()}, dir_.path());
  expect_store_check_refusal({open_code, open_out, open_err}, PostgresServer::kBrokerPassword);
  EXPECT_NE(open_err.find("is readable by others; chmod 600 it"), std::string::npos) << open_err;
  ::chmod((dir_ / "pg_url").c_str(), 0600);
  const auto [code, out, err] = ChildProcess::run(
      {kBrokerBinary, "store", "check", "--url-file", (dir_ / "pg_url").string()}, dir_.path());
  EXPECT_EQ(code, 0) << out << err;
  EXPECT_NE(out.find("contents: empty"), std::string::npos) << out;
}

TEST_F(StoreCheckIt, ReportsTheSchemaVersionAndRefusesNewerOrForeignSchemas) {
  const std::string database = server().create_database();
  server().admin_execute(
      "CREATE TABLE jitbroker_schema (version integer NOT NULL); "
      "ALTER TABLE jitbroker_schema OWNER TO jit; INSERT INTO jitbroker_schema VALUES (3)",
      database);
  ProcessResult result = check_with_env(server().url(database));
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("contents: jitbroker schema version 3 (this jit-broker: "),
            std::string::npos)
      << result.out;

  server().admin_execute("UPDATE jitbroker_schema SET version = 9999", database);
  result = check_with_env(server().url(database));
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("not usable: the jitbroker schema is newer"), std::string::npos)
      << result.out;

  const std::string other = server().create_database();
  server().admin_execute("CREATE TABLE invoices (id int)", other);
  result = check_with_env(server().url(other));
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("contents: other tables (1), not a jitbroker schema"),
            std::string::npos)
      << result.out;
}

TEST_F(StoreCheckIt, RoleWithoutCreateOnTheSchemaIsNotUsable) {
  // PostgreSQL 15: only the database owner may create tables in `public` by default.
  const std::string database = server().create_database();
  server().admin_execute("CREATE ROLE jit_reader LOGIN PASSWORD 'reader-pw-41d2'");
  const ProcessResult result =
      check_with_env(server().url(database, "jit_reader", "reader-pw-41d2"));
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("create tables: no"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("not usable: role jit_reader may not create tables in schema public"),
            std::string::npos)
      << result.out;
}

TEST_F(StoreCheckIt, FaultsAreOneLineWithExitTwoAndNoPassword) {
  const std::string database = server().create_database();
  const std::string wrong = "not-the-password-93be";
  ProcessResult result = check_with_env(server().url(database, PostgresServer::kBrokerRole, wrong));
  expect_store_check_refusal(result, wrong);
  EXPECT_NE(result.err.find("password authentication failed"), std::string::npos) << result.err;

  const std::string password = PostgresServer::kBrokerPassword;
  result = check_with_env("host=127.0.0.1 port=" + std::to_string(free_loopback_port()) +
                          " dbname=x user=jit password=" + password);
  expect_store_check_refusal(result, password);
  EXPECT_NE(result.err.find("Connection refused"), std::string::npos) << result.err;

  // The test server offers no TLS: a string that requires it is refused, not downgraded.
  result = check_with_env(server().url(database) + " sslmode=require");
  expect_store_check_refusal(result, password);
  EXPECT_NE(result.err.find("SSL"), std::string::npos) << result.err;

  result = check_with_env("host=127.0.0.1 password=" + password + " stray-word");
  expect_store_check_refusal(result, password);
  EXPECT_NE(result.err.find("malformed"), std::string::npos) << result.err;

  // No variable at all.
  const auto [code, out, err] = ChildProcess::run(
      {kBrokerBinary, "store", "check", "--url-env", "JIT_PG_UNSET_VARIABLE"}, dir_.path());
  EXPECT_EQ(code, 2);
  EXPECT_EQ(err, "jit-broker: environment variable JIT_PG_UNSET_VARIABLE is not set\n");
}

TEST_F(StoreCheckIt, ReportsTlsAndRefusesAServerCertificateItCannotVerify) {
  PostgresServer tls_server;  // its own: TLS on the shared one would change the other tests
  const auto certificate = tls_server.enable_tls();
  const std::string database = tls_server.create_database();
  const std::string verified =
      tls_server.url(database) + " sslmode=verify-full sslrootcert=" + certificate.string();
  ProcessResult result = check_with_env(verified);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("tls: TLSv1."), std::string::npos) << result.out;

  // Another CA: the server's certificate does not verify, and nothing is sent in clear instead.
  const auto [code, out, err] = ChildProcess::run(
      {kOpensslBinary, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", (dir_ / "other.key").string(), "-out", (dir_ / "other.crt").string(),
       "-days", "2", "-subj", "/CN=127.0.0.1"},
      dir_.path());
  ASSERT_EQ(code, 0) << err;
  result = check_with_env(tls_server.url(database) +
                          " sslmode=verify-full sslrootcert=" + (dir_ / "other.crt").string());
  expect_store_check_refusal(result, PostgresServer::kBrokerPassword);
  EXPECT_NE(result.err.find("certificate verify failed"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace jit::broker
