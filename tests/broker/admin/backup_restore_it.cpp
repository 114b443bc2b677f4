// `jit-broker backup` and `restore` as an operator runs them (docs/operations.md, "Backup and
// restore"): a backup taken while a real broker serves a stream of grants holds every grant
// acknowledged before it began, restores into a new data folder, and verifies with `audit verify`
// against the head the backup printed; bad input is refused with one line and exit code 2.
#include "tests/support/files.hpp"
#include "tests/support/running_broker.hpp"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <regex>
#include <thread>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)
using namespace std::chrono_literals;

namespace json = boost::json;
namespace fs = std::filesystem;

// dev-shell is granted at once: each acknowledged request is a grant in the database.
constexpr const char* kBackupPolicy = R"yaml(
groups:
  developers: [alice]
  sre-leads: [carol]
roles:
  dev-shell:
    requestable_by: [developers]
    auto_approve: true
    max_duration: 1h
    ssh: { principals: [dev] }
)yaml";

// `jit-broker --config CONFIG ARGS...` from `dir`.
std::tuple<int, std::string, std::string> jit_broker(const fs::path& dir, const fs::path& config,
                                                     std::vector<std::string> args) {
  args.insert(args.begin(), {broker_binary(), "--config", config.string()});
  return ChildProcess::run(std::move(args), dir);
}

// One line on stderr, nothing else: how every refusal must look.
void expect_one_line(const std::string& err) {
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

// The copy of broker.yaml that points at another data folder.
fs::path config_for(const fs::path& dir, const std::string& data_dir) {
  auto text = read_text(dir / "broker.yaml");
  const auto at = text.find("data_dir: data\n");
  if (at == std::string::npos) throw std::runtime_error("no data_dir line in broker.yaml");
  text.replace(at, 15, "data_dir: " + data_dir + "\n");
  const auto file = dir / (data_dir + ".yaml");
  write_text(file, text);
  return file;
}

class BackupUnderLoadTest : public ::testing::Test {
 protected:
  // Requests dev-shell grants one after another until stop_; notes each acknowledged grant.
  void load() {
    while (!stop_) {
      broker::HttpRequest request(broker::http::verb::post, "/v1/requests", 11);
      request.set(broker::http::field::authorization, "Bearer " + broker_.token("alice"));
      request.set(broker::http::field::content_type, "application/json");
      request.body() = R"({"role": "dev-shell"})";
      try {
        const auto answer = broker_.client()->request(std::move(request));
        if (answer.result_int() != 201) {
          load_error_ = std::to_string(answer.result_int()) + " " + answer.body();
          return;
        }
        const auto body = json::parse(answer.body()).as_object();
        const std::lock_guard lock(mutex_);
        acknowledged_.emplace_back(body.at("grant").at("id").as_string());
      } catch (const std::exception& e) {
        load_error_ = e.what();
        return;
      }
    }
  }
  std::size_t acknowledged() {
    const std::lock_guard lock(mutex_);
    return acknowledged_.size();
  }
  // Waits (bounded) until the load has `count` acknowledged grants.
  bool wait_for_grants(std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (acknowledged() < count && std::chrono::steady_clock::now() < deadline) {
      if (!load_error_.empty()) return false;
      std::this_thread::sleep_for(10ms);
    }
    return acknowledged() >= count;
  }

  RunningBroker broker_{kBackupPolicy, "", {"alice"}};
  std::mutex mutex_;
  std::vector<std::string> acknowledged_;
  std::atomic<bool> stop_{false};
  std::string load_error_;
};

TEST_F(BackupUnderLoadTest, BackupHoldsEveryGrantAcknowledgedBeforeItAndRestoresVerified) {
  const auto dir = broker_.dir();
  {
    // 8 MiB beside the broker's tables, so that the copy takes hundreds of steps while grants
    // commit between them (a copy that restarted on each commit would never finish).
    SQLite::Database db((dir / "data" / "broker.db").string(), SQLite::OPEN_READWRITE, 5000);
    db.exec("CREATE TABLE test_padding(b BLOB NOT NULL)");
    db.exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2048) "
        "INSERT INTO test_padding SELECT randomblob(4000) FROM n");
  }
  std::thread load_thread([this] { load(); });
  struct Joiner {
    std::thread& thread;
    std::atomic<bool>& stop;
    ~Joiner() {
      stop = true;
      thread.join();
    }
  } joiner{load_thread, stop_};

  ASSERT_TRUE(wait_for_grants(5)) << load_error_;
  std::vector<std::string> before;
  {
    const std::lock_guard lock(mutex_);
    before = acknowledged_;
  }
  const auto backup_file = dir / "backups" / "broker-backup.db";
  fs::create_directories(backup_file.parent_path());
  auto [code, out, err] = jit_broker(dir, dir / "broker.yaml", {"backup", backup_file.string()});
  ASSERT_EQ(code, 0) << out << err;
  // The broker kept answering beside the copy.
  EXPECT_TRUE(wait_for_grants(acknowledged() + 3)) << load_error_;
  stop_ = true;
  EXPECT_TRUE(load_error_.empty()) << load_error_;

  std::smatch head;
  ASSERT_TRUE(std::regex_search(out, head, std::regex("audit head ([0-9a-f]+) after ([0-9]+)")))
      << out;
  struct stat info {};
  ASSERT_EQ(::stat(backup_file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(fs::directory_iterator(backup_file.parent_path())->path(), backup_file)
      << "only the backup is left, no temporary file";

  // Restore into a new data folder, with the data key copied beside it as the README says.
  const auto restored_config = config_for(dir, "restored");
  auto [restore_code, restore_out, restore_err] =
      jit_broker(dir, restored_config, {"restore", backup_file.string()});
  ASSERT_EQ(restore_code, 0) << restore_out << restore_err;
  fs::copy_file(dir / "data" / "data.key", dir / "restored" / "data.key");
  auto [verify_code, verify_out, verify_err] =
      jit_broker(dir, restored_config,
                 {"audit", "verify", "--head", head[1].str(), "--expect-records", head[2].str()});
  EXPECT_EQ(verify_code, 0) << verify_out << verify_err;
  EXPECT_NE(verify_out.find("audit chain ok"), std::string::npos) << verify_out;

  ASSERT_EQ(::stat((dir / "restored" / "broker.db").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  SQLite::Database restored((dir / "restored" / "broker.db").string(), SQLite::OPEN_READONLY);
  SQLite::Statement find(restored, "SELECT state FROM grants WHERE id = ?");
  for (const auto& id : before) {
    find.reset();
    find.bind(1, id);
    EXPECT_TRUE(find.executeStep()) << "grant " << id << " acknowledged before the backup is lost";
  }
  EXPECT_TRUE(broker_.alive()) << broker_.stderr_text();
}

// The commands without a running broker: a database made by `user enroll` is enough.
class BackupInputTest : public ::testing::Test {
 protected:
  BackupInputTest() { broker_.enroll("alice"); }
  const fs::path& dir() const { return broker_.dir(); }

  BrokerProcess broker_{kBackupPolicy};
};

TEST_F(BackupInputTest, RestoreRefusesADataFolderThatHasADatabase) {
  const auto backup = dir() / "copy.db";
  ASSERT_EQ(std::get<0>(broker_.admin({"backup", backup.string()})), 0);
  const auto other = config_for(dir(), "other");
  auto [first, first_out, first_err] = jit_broker(dir(), other, {"restore", backup.string()});
  ASSERT_EQ(first, 0) << first_err;
  const auto restored = read_text(dir() / "other" / "broker.db");

  auto [code, out, err] = jit_broker(dir(), other, {"restore", backup.string()});
  EXPECT_EQ(code, 2);
  expect_one_line(err);
  EXPECT_NE(err.find("already has a database"), std::string::npos) << err;
  EXPECT_EQ(read_text(dir() / "other" / "broker.db"), restored);
  // The broker's own folder (a database and, here, no broker running) is refused the same way.
  auto [own, own_out, own_err] = broker_.admin({"restore", backup.string()});
  EXPECT_EQ(own, 2);
  expect_one_line(own_err);
  EXPECT_NE(own_err.find("already has a database"), std::string::npos) << own_err;
}

// The counters a restore must not take back: hosts refuse a KRL older than the one they have, and
// the lost broker went on using serials, KRL versions and CRL numbers after the backup.
TEST_F(BackupInputTest, ARestoreContinuesTheCountersAboveAnythingUsedBeforeIt) {
  const auto backup = dir() / "copy.db";
  ASSERT_EQ(std::get<0>(broker_.admin({"backup", backup.string()})), 0);
  {
    // What the lost broker did after the backup: its own copy moved on.
    SQLite::Database original(broker_.database().string(), SQLite::OPEN_READWRITE);
    original.exec("UPDATE counters SET value = value + 1000");
  }
  const auto seconds_now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const std::int64_t before = seconds_now() * 65536;
  auto [code, out, err] =
      jit_broker(dir(), config_for(dir(), "restored"), {"restore", backup.string()});
  const std::int64_t after = seconds_now() * 65536;
  ASSERT_EQ(code, 0) << out << err;
  EXPECT_NE(out.find("continue from"), std::string::npos) << out;

  SQLite::Database original(broker_.database().string(), SQLite::OPEN_READONLY);
  SQLite::Database restored((dir() / "restored" / "broker.db").string(), SQLite::OPEN_READONLY);
  for (const char* name : {"ssh_serial", "krl_version", "crl_number"}) {
    const std::string query = std::string("SELECT value FROM counters WHERE name = '") + name + "'";
    const auto value = restored.execAndGet(query).getInt64();
    EXPECT_GE(value, before) << name;
    EXPECT_LE(value, after) << name;
    EXPECT_GT(value, original.execAndGet(query).getInt64()) << name;
  }
}

TEST_F(BackupInputTest, RestoreRefusesFilesThatAreNotABrokerDatabase) {
  const auto text = dir() / "notes.txt";
  write_text(text, std::string(8192, 'x'));
  const auto foreign = dir() / "foreign.db";
  {
    SQLite::Database db(foreign.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE things(id INTEGER PRIMARY KEY); INSERT INTO things VALUES (1)");
  }
  const auto empty = dir() / "empty.db";
  write_text(empty, "");
  const auto config = config_for(dir(), "fresh");
  for (const auto& file : {text, foreign, empty, dir() / "missing.db"}) {
    auto [code, out, err] = jit_broker(dir(), config, {"restore", file.string()});
    EXPECT_EQ(code, 2) << file;
    expect_one_line(err);
    EXPECT_NE(err.find(file.string()), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(dir() / "fresh" / "broker.db")) << file;
  }
}

TEST_F(BackupInputTest, BackupToAPathThatCannotBeWrittenFailsAndLeavesNothing) {
  // A path below a regular file cannot be created, even by root.
  write_text(dir() / "plain", "a file, not a folder");
  auto [code, out, err] = broker_.admin({"backup", (dir() / "plain" / "backup.db").string()});
  EXPECT_EQ(code, 2);
  expect_one_line(err);
  EXPECT_NE(err.find("cannot write"), std::string::npos) << err;
  // A folder in the way: the temporary file is removed when the rename fails.
  fs::create_directories(dir() / "taken" / "backup.db" / "inside");
  auto [taken, taken_out, taken_err] =
      broker_.admin({"backup", (dir() / "taken" / "backup.db").string()});
  EXPECT_EQ(taken, 2);
  expect_one_line(taken_err);
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir() / "taken")) ++entries;
  EXPECT_EQ(entries, 1u) << "a temporary file was left behind";
}

}  // namespace
}  // namespace jit::broker
