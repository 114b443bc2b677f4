// The shipped binaries as separate processes: `jit-broker` start-up, admin commands, failure modes
// that must end in one clear line and a non-zero exit, graceful stop; and `jit login`.
#include "approvals/totp.hpp"
#include "broker/client/http_client.hpp"
#include "broker/data_dir.hpp"
#include "broker/store/migrations.hpp"
#include "tests/support/broker_process.hpp"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <algorithm>
#include <fstream>

namespace jit::broker {
namespace {

using jit::testing::broker_binary;
using jit::testing::BrokerConfig;
using jit::testing::BrokerProcess;
using jit::testing::ChildProcess;
using jit::testing::listening_port;
using jit::testing::test_policy;
using jit::testing::TestPolicyOptions;
using testing::kBrokerBinary;
using testing::kJitBinary;
using namespace std::chrono_literals;

class BrokerProcessTest : public ::testing::Test {
 protected:
  // The test policy without the role's extras (alice and bob ask, carol and dave approve; two
  // approvals), and broker.yaml on 127.0.0.1:0 with the data in data/.
  BrokerProcessTest() : broker_(minimal_policy()) {}

  static std::string minimal_policy() {
    TestPolicyOptions options;
    options.full_profile = false;
    return test_policy(options);
  }

  void write_config(const std::string& listen, const std::string& data_dir) {
    broker_.write_config(BrokerConfig{listen, data_dir, ""});
  }
  std::string config() const { return broker_.config_file(); }

  // Starts `serve` and returns the port it printed.
  std::unique_ptr<ChildProcess> serve(int& port, const std::string& config_file = "") {
    auto child = std::make_unique<ChildProcess>(
        std::vector<std::string>{kBrokerBinary, "--config",
                                 config_file.empty() ? config() : config_file, "serve"},
        dir_);
    EXPECT_TRUE(child->wait_for_output("listening on", 20s)) << child->err();
    port = listening_port(child->out());
    return child;
  }

  std::string enroll(const std::string& user, const std::string& password) {
    auto [code, out, err] = ChildProcess::run(
        {kBrokerBinary, "--config", config(), "user", "enroll", user}, dir_, {}, password + "\n");
    EXPECT_EQ(code, 0) << err;
    const auto start = out.find("secret=") + 7;
    return out.substr(start, out.find('&', start) - start);
  }

  BrokerProcess broker_;
  const std::filesystem::path& dir_ = broker_.dir();  // the broker's folder: files, data/, cwd
};

TEST_F(BrokerProcessTest, ServesHealthzOverTlsAndStopsGracefullyOnSigterm) {
  int port = 0;
  auto broker = serve(port);
  ASSERT_GT(port, 0);
  ClientRequest request;
  request.url = *parse_url("https://localhost:" + std::to_string(port) + "/healthz");
  auto answer = fetch({dir_ / "data" / "tls" / "server.crt"}, request);
  ASSERT_TRUE(answer) << answer.error().message();
  EXPECT_EQ(answer->status, 200u);
  broker->signal(SIGTERM);
  EXPECT_EQ(broker->wait(15s), 0);
  auto [code, out, err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "audit", "verify"}, dir_);
  EXPECT_EQ(code, 0) << err;
  // broker.start, then the first publication of the revocation lists.
  EXPECT_NE(out.find("audit chain ok: 2 records"), std::string::npos) << out;
  // Keys and the data folder are private.
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / "data").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir_ / "data" / "tls" / "server.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(BrokerProcessTest, ServesTheSshCaKeyThatCaShowPrintsAndKeepsItPrivate) {
  auto [show_code, show_out, show_err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "ca", "show"}, dir_);
  ASSERT_EQ(show_code, 0) << show_err;
  const auto line_start = show_out.find("ssh-ed25519 ");
  ASSERT_NE(line_start, std::string::npos) << show_out;
  const std::string key_line =
      show_out.substr(line_start, show_out.find('\n', line_start) - line_start);
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / "data" / "ca" / "ssh_ca.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  int port = 0;
  auto broker = serve(port);
  ClientRequest request;
  request.url = *parse_url("https://localhost:" + std::to_string(port) + "/v1/ca/ssh");
  auto answer = fetch({dir_ / "data" / "tls" / "server.crt"}, request);
  ASSERT_TRUE(answer) << answer.error().message();
  EXPECT_EQ(answer->status, 200u);
  // A comment line, then one key line per CA key; the key is the one `ca show` printed.
  EXPECT_TRUE(answer->body.starts_with("# ")) << answer->body;
  EXPECT_NE(answer->body.find("\n" + key_line + " "), std::string::npos) << answer->body;
  EXPECT_EQ(answer->body.find("PRIVATE"), std::string::npos);

  request.url = *parse_url("https://localhost:" + std::to_string(port) + "/v1/ca/x509");
  auto chain = fetch({dir_ / "data" / "tls" / "server.crt"}, request);
  ASSERT_TRUE(chain);
  EXPECT_EQ(chain->status, 200u);
  std::size_t certificates = 0;
  for (auto at = chain->body.find("BEGIN CERTIFICATE"); at != std::string::npos;
       at = chain->body.find("BEGIN CERTIFICATE", at + 1)) {
    ++certificates;
  }
  EXPECT_EQ(certificates, 2u);  // issuing CA, then root
  EXPECT_EQ(chain->body.find("PRIVATE"), std::string::npos);
  EXPECT_NE(show_out.find(chain->body), std::string::npos);  // `ca show` prints the same chain
  for (const char* key : {"ssh_ca.key", "x509_root.key", "x509_issuing.key"}) {
    ASSERT_EQ(::stat((dir_ / "data" / "ca" / key).c_str(), &info), 0) << key;
    EXPECT_EQ(info.st_mode & 0777, 0600u) << key;
  }
}

TEST_F(BrokerProcessTest, SecondBrokerOnTheSameDataFolderFailsWithOneLine) {
  int port = 0;
  auto first = serve(port);
  auto [code, out, err] = ChildProcess::run({kBrokerBinary, "--config", config(), "serve"}, dir_);
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("is in use by another jit-broker"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST_F(BrokerProcessTest, PortInUseFailsWithOneLine) {
  int port = 0;
  auto first = serve(port);
  write_config("127.0.0.1:" + std::to_string(port), "data2");
  auto [code, out, err] = ChildProcess::run({kBrokerBinary, "--config", config(), "serve"}, dir_);
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST_F(BrokerProcessTest, BrokenConfigNamesFileLineAndKey) {
  std::ofstream(dir_ / "broker.yaml") << "listen: 127.0.0.1:8443\ndata_dir: data\nlisten_port: 9\n";
  auto [code, out, err] = ChildProcess::run({kBrokerBinary, "--config", config(), "serve"}, dir_);
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("broker.yaml:3"), std::string::npos) << err;
  EXPECT_NE(err.find("listen_port"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST_F(BrokerProcessTest, UnreadableOrWrongCaKeyFailsWithOneLineNamingTheFile) {
  std::filesystem::create_directories(dir_ / "data" / "ca");
  std::ofstream(dir_ / "data" / "ca" / "ssh_ca.key")
      << "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n";
  ::chmod((dir_ / "data" / "ca" / "ssh_ca.key").c_str(), 0600);
  auto [code, out, err] = ChildProcess::run({kBrokerBinary, "--config", config(), "serve"}, dir_);
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("cannot load SSH CA key " + (dir_ / "data" / "ca" / "ssh_ca.key").string()),
            std::string::npos)
      << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(err.find("garbage"), std::string::npos);  // key material never echoed
}

TEST_F(BrokerProcessTest, DatabaseFromANewerSchemaIsRefusedWithOneLine) {
  std::filesystem::create_directories(dir_ / "data");
  {
    SQLite::Database db((dir_ / "data" / "broker.db").string(),
                        SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 999");
  }
  auto [code, out, err] = ChildProcess::run({kBrokerBinary, "--config", config(), "serve"}, dir_);
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("newer than this jit-broker understands"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST_F(BrokerProcessTest, FullDiskFailsWithOneLine) {
  const auto mount_point = dir_ / "tiny";
  std::filesystem::create_directories(mount_point);
  // A 64 KiB file system: too small for the database. Needs root (CI and our machines run as root).
  ASSERT_EQ(::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=64k"), 0) << "mount needs root";
  struct Unmount {
    std::filesystem::path path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  {
    std::ofstream filler(mount_point / "filler");
    filler << std::string(60 * 1024, 'x');
  }
  write_config("127.0.0.1:0", "tiny/data");
  auto [code, out, err] = ChildProcess::run({kBrokerBinary, "--config", config(), "serve"}, dir_);
  EXPECT_EQ(code, 2);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("jit-broker: "), std::string::npos) << err;
}

TEST_F(BrokerProcessTest, EnrollThenJitLoginStoresAPrivateSession) {
  const std::string secret = enroll("alice", "correct horse battery");
  EXPECT_EQ(secret.size(), 32u);  // 160 bits in base32
  int port = 0;
  auto broker = serve(port);
  const auto code = *approvals::totp_code(
      *approvals::base32_decode(secret),
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  const std::string config_env = "JIT_CONFIG_DIR=" + (dir_ / "jit-config").string();
  const std::string url = "https://localhost:" + std::to_string(port);
  const std::string ca = (dir_ / "data" / "tls" / "server.crt").string();
  auto [login_code, login_out, login_err] =
      ChildProcess::run({kJitBinary, "--broker", url, "--ca-file", ca, "login", "--user", "alice",
                         "--password-stdin", "--totp", code},
                        dir_, {config_env}, "correct horse battery\n");
  ASSERT_EQ(login_code, 0) << login_err;
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / "jit-config" / "session.json").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::ifstream stored(dir_ / "jit-config" / "session.json");
  const std::string text((std::istreambuf_iterator<char>(stored)), {});
  EXPECT_EQ(text.find("correct horse"), std::string::npos);  // never the password

  auto [who_code, who_out, who_err] = ChildProcess::run({kJitBinary, "whoami"}, dir_, {config_env});
  EXPECT_EQ(who_code, 0) << who_err;
  EXPECT_NE(who_out.find("user alice"), std::string::npos) << who_out;

  // The same code again is a replay: refused, exit code 2 (not authenticated).
  auto [again_code, again_out, again_err] = ChildProcess::run(
      {kJitBinary, "login", "--user", "alice", "--password-stdin", "--totp", code}, dir_,
      {config_env}, "correct horse battery\n");
  EXPECT_EQ(again_code, 2) << again_err;

  auto [out_code, out_out, out_err] = ChildProcess::run({kJitBinary, "logout"}, dir_, {config_env});
  EXPECT_EQ(out_code, 0) << out_err;
  auto [after_code, after_out, after_err] =
      ChildProcess::run({kJitBinary, "whoami"}, dir_, {config_env});
  EXPECT_EQ(after_code, 2);
}

// An admin command of a newer jit-broker beside a running (older) broker must not migrate the
// database under it (docs/operations.md, "Upgrade"); with the broker stopped it migrates.
TEST_F(BrokerProcessTest, AnAdminCommandMigratesOnlyWhileNoBrokerRuns) {
  enroll("alice", "first passphrase 1");
  const auto database = (dir_ / "data" / "broker.db").string();
  const int older = latest_schema_version() - 1;
  const auto version = [&] {
    SQLite::Database db(database, SQLite::OPEN_READONLY);
    return db.execAndGet("PRAGMA user_version").getInt();
  };
  {
    SQLite::Database db(database, SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = " + std::to_string(older));
  }
  {
    const DataDirLock running_broker(dir_ / "data");
    auto [code, out, err] =
        ChildProcess::run({kBrokerBinary, "--config", config(), "user", "lock", "alice"}, dir_);
    EXPECT_EQ(code, 2) << err;
    EXPECT_NE(err.find("a broker is running on it"), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_EQ(version(), older);
    SQLite::Database db(database, SQLite::OPEN_READONLY);
    EXPECT_EQ(db.execAndGet("SELECT count(*) FROM audit WHERE action = 'user.lock'").getInt(), 0);
  }
  auto [code, out, err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "user", "lock", "alice"}, dir_);
  EXPECT_EQ(code, 0) << err;
  EXPECT_EQ(version(), latest_schema_version());
}

TEST_F(BrokerProcessTest, UserCommandsRefuseUnknownAndDuplicateUsers) {
  enroll("alice", "first passphrase 1");
  auto [dup, dup_out, dup_err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "user", "enroll", "alice"}, dir_, {},
                        "second passphrase 2\n");
  EXPECT_EQ(dup, 2);
  EXPECT_NE(dup_err.find("already enrolled"), std::string::npos) << dup_err;
  auto [unknown, unknown_out, unknown_err] = ChildProcess::run(
      {kBrokerBinary, "--config", config(), "user", "enroll", "mallory"}, dir_, {}, "pw\n");
  EXPECT_EQ(unknown, 2);
  EXPECT_NE(unknown_err.find("not in the policy file"), std::string::npos) << unknown_err;
  auto [lock, lock_out, lock_err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "user", "lock", "alice"}, dir_);
  EXPECT_EQ(lock, 0) << lock_err;
  auto [reset, reset_out, reset_err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "user", "reset", "alice"}, dir_, {},
                        "third passphrase 3\n");
  EXPECT_EQ(reset, 0) << reset_err;
  EXPECT_NE(reset_out.find("otpauth://totp/jitbroker:alice?secret="), std::string::npos);
}

// Admin records say who ran the command (docs/operations.md, "Audit log"): the account it ran as,
// and under sudo the account sudo was called from.
TEST_F(BrokerProcessTest, AdminRecordsNameTheOperatorsAccount) {
  enroll("alice", "first passphrase 1");
  auto [lock, lock_out, lock_err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "user", "lock", "alice"}, dir_,
                        {"SUDO_USER=ops-carol"});
  ASSERT_EQ(lock, 0) << lock_err;
  SQLite::Database db(broker_.database().string(), SQLite::OPEN_READONLY);
  const auto details = boost::json::parse(
      db.execAndGet("SELECT details FROM audit WHERE action = 'user.lock'").getString());
  const passwd* me = ::getpwuid(::geteuid());
  ASSERT_NE(me, nullptr);
  EXPECT_EQ(details.at("os_user").as_string(), me->pw_name) << details;
  EXPECT_EQ(details.at("sudo_user").as_string(), "ops-carol") << details;
  const auto enrolled = boost::json::parse(
      db.execAndGet("SELECT details FROM audit WHERE action = 'user.enroll'").getString());
  EXPECT_EQ(enrolled.at("os_user").as_string(), me->pw_name) << enrolled;
}

}  // namespace
}  // namespace jit::broker
