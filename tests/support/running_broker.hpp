// A real `jit-broker serve` process on 127.0.0.1 for tests that attack it from outside: its own
// temporary folder, config and policy, enrolled users with sessions, raw TLS clients, and a
// read-only look into its database to prove that an attack wrote nothing. Stopped (SIGTERM, then
// SIGKILL) by the destructor, even when a test fails.
#pragma once

#include "approvals/totp.hpp"
#include "support/child_process.hpp"
#include "support/http_test_client.hpp"
#include "support/temp_dir.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace jit::testing {

// What the attacks must leave alone: row counts, the failed-login counters, and the audit head.
struct DatabaseSnapshot {
  std::int64_t requests = 0, reviews = 0, grants = 0, certificates = 0, credentials = 0,
               webauthn_credentials = 0, sessions = 0, failed_logins = 0, audit_records = 0;
  std::int64_t audit_seq = 0;
  std::string audit_hash;
  bool operator==(const DatabaseSnapshot&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const DatabaseSnapshot& s) {
  return out << "{requests " << s.requests << ", reviews " << s.reviews << ", grants " << s.grants
             << ", certificates " << s.certificates << ", credentials " << s.credentials
             << ", webauthn " << s.webauthn_credentials << ", sessions " << s.sessions
             << ", failed logins " << s.failed_logins << ", audit " << s.audit_records << " up to "
             << s.audit_seq << " " << s.audit_hash.substr(0, 12) << "}";
}

struct AuditRow {
  std::string actor, action, object;
  boost::json::value details;
  bool operator==(const AuditRow&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const AuditRow& row) {
  return out << row.actor << " " << row.action << " " << row.object << " "
             << boost::json::serialize(row.details);
}

class RunningBroker {
 public:
  // Every user's password: 12 characters or more, no user's name (approvals/password_rules.hpp).
  static constexpr std::string_view kPassword = "correct horse battery staple";

  // Writes broker.yaml (dev TLS and CA, plus `extra_config` lines), enrols `users` (password
  // kPassword), starts `serve`, waits for its first revocation publication (so that nothing of
  // the start-up is still being written), then logs every user in.
  RunningBroker(const std::string& policy_yaml, const std::string& extra_config,
                const std::vector<std::string>& users) {
    std::ofstream(dir_ / "policy.yaml") << policy_yaml;
    std::ofstream(dir_ / "broker.yaml")
        << "listen: \"127.0.0.1:0\"\ndata_dir: data\npolicy_file: policy.yaml\n"
        << "tls:\n  dev_tls: true\nca:\n  generate_missing: true\n"
        << extra_config;
    for (const auto& user : users) enroll(user);
    start();
    for (const auto& user : users) login(user);
  }

  // Stops the broker, replaces its policy file and starts it again on the same data (sessions
  // stay valid); throws when it does not stop or start.
  void restart_with_policy(const std::string& policy_yaml) {
    if (stop() != 0)
      throw std::runtime_error("jit-broker did not stop cleanly: " + process_->err());
    std::ofstream(dir_ / "policy.yaml", std::ios::trunc) << policy_yaml;
    start();
  }

  ~RunningBroker() {
    // A broker that does not stop in time is killed by ChildProcess's destructor.
    if (process_ && !process_->wait(std::chrono::milliseconds(0))) {
      process_->signal(SIGTERM);
      process_->wait(std::chrono::seconds(10));
    }
  }
  RunningBroker(const RunningBroker&) = delete;
  RunningBroker& operator=(const RunningBroker&) = delete;

  unsigned short port() const { return port_; }
  boost::asio::ip::tcp::endpoint endpoint() const {
    return {boost::asio::ip::address_v4::loopback(), port_};
  }
  std::filesystem::path ca_file() const { return dir_ / "data" / "tls" / "server.crt"; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  const std::string& token(const std::string& user) const { return tokens_.at(user); }

  // A client with TCP and TLS done (or only TCP, or nothing, for the attacks on those layers).
  std::unique_ptr<broker::http_test::TlsTestClient> client(
      bool connect = true,
      std::chrono::milliseconds step_timeout = std::chrono::seconds(10)) const {
    auto client =
        std::make_unique<broker::http_test::TlsTestClient>(endpoint(), ca_file(), step_timeout);
    if (connect) {
      if (auto ec = client->connect()) throw std::runtime_error("connect: " + ec.message());
    }
    return client;
  }

  // Stops the broker with SIGTERM; its exit code, or -1 when it did not stop within 15 s.
  int stop() {
    if (auto code = process_->wait(std::chrono::milliseconds(0))) return *code;
    process_->signal(SIGTERM);
    return process_->wait(std::chrono::seconds(15)).value_or(-1);
  }

  // True while the process runs (it has not crashed or exited).
  bool alive() { return !process_->wait(std::chrono::milliseconds(0)).has_value(); }
  std::string stderr_text() const { return process_->err(); }

  // GET /healthz on a new connection answers 200.
  bool healthy() const {
    try {
      return client()->get("/healthz").result() == broker::http::status::ok;
    } catch (const std::exception&) {
      return false;
    }
  }

  std::string metrics() const { return client()->get("/metrics").body(); }

  DatabaseSnapshot snapshot() const {
    auto db = open();
    DatabaseSnapshot s;
    const auto rows = [&](const char* table) {
      return db->execAndGet(std::string("SELECT count(*) FROM ") + table).getInt64();
    };
    s.requests = rows("requests");
    s.reviews = rows("reviews");
    s.grants = rows("grants");
    s.certificates = rows("certificates");
    s.credentials = rows("credentials");
    s.webauthn_credentials = rows("webauthn_credentials");
    s.sessions = rows("sessions");
    s.audit_records = rows("audit");
    s.failed_logins =
        db->execAndGet("SELECT total(failed_attempts) + total(locked_until) FROM credentials")
            .getInt64();
    SQLite::Statement head(*db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
    if (head.executeStep()) {
      s.audit_seq = head.getColumn(0).getInt64();
      s.audit_hash = head.getColumn(1).getString();
    }
    return s;
  }

  // The audit records after `seq`, oldest first.
  std::vector<AuditRow> audit_after(std::int64_t seq) const {
    auto db = open();
    SQLite::Statement query(
        *db, "SELECT actor, action, object, details FROM audit WHERE seq > ? ORDER BY seq");
    query.bind(1, seq);
    std::vector<AuditRow> rows;
    while (query.executeStep()) {
      boost::system::error_code ec;
      auto details = boost::json::parse(query.getColumn(3).getString(), ec);
      if (ec) details = boost::json::string("UNPARSABLE: " + query.getColumn(3).getString());
      rows.push_back({query.getColumn(0).getString(), query.getColumn(1).getString(),
                      query.getColumn(2).getString(), std::move(details)});
    }
    return rows;
  }

  std::int64_t count(const std::string& sql) const { return open()->execAndGet(sql).getInt64(); }

  // A read-only connection: WAL lets it read while the broker writes.
  std::unique_ptr<SQLite::Database> open() const {
    return std::make_unique<SQLite::Database>((dir_ / "data" / "broker.db").string(),
                                              SQLite::OPEN_READONLY);
  }

 private:
  static std::string binary() { return std::string(JIT_BUILD_DIR) + "/broker/jit-broker"; }
  std::string config() const { return (dir_ / "broker.yaml").string(); }

  // Starts `serve` and waits for its first revocation publication after the start.
  void start() {
    const std::int64_t published_before =
        std::filesystem::exists(dir_ / "data" / "broker.db")
            ? count("SELECT count(*) FROM audit WHERE action = 'revocation.publish'")
            : 0;
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{binary(), "--config", config(), "serve"}, dir_.path());
    if (!process_->wait_for_output("listening on", std::chrono::seconds(30))) {
      throw std::runtime_error("jit-broker did not start: " + process_->err());
    }
    // "jit-broker listening on https://127.0.0.1:PORT/ ..."
    const std::string out = process_->out();
    const auto slash = out.find("/ ", out.find("listening on https://"));
    const auto colon = out.rfind(':', slash);
    port_ = static_cast<unsigned short>(std::stoi(out.substr(colon + 1, slash - colon - 1)));
    for (int i = 0; i < 300 && count("SELECT count(*) FROM audit WHERE action = "
                                     "'revocation.publish'") == published_before;
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  void enroll(const std::string& user) {
    auto [code, out, err] =
        ChildProcess::run({binary(), "--config", config(), "user", "enroll", user}, dir_.path(), {},
                          std::string(kPassword) + "\n");
    const auto start = out.find("secret=");
    if (code != 0 || start == std::string::npos) {
      throw std::runtime_error("enroll " + user + ": " + err);
    }
    const auto secret = out.substr(start + 7, out.find('&', start) - start - 7);
    secrets_[user] = *approvals::base32_decode(secret);
  }

  // Each user logs in once, so the TOTP code of the current step is never a replay.
  void login(const std::string& user) {
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    broker::HttpRequest request(broker::http::verb::post, "/v1/login", 11);
    request.set(broker::http::field::content_type, "application/json");
    request.body() = boost::json::serialize(
        boost::json::object{{"user", user},
                            {"password", kPassword},
                            {"mfa", {{"totp", *approvals::totp_code(secrets_.at(user), now)}}}});
    const auto answer = client()->request(std::move(request));
    if (answer.result() != broker::http::status::ok) {
      throw std::runtime_error("login " + user + ": " + answer.body());
    }
    tokens_[user] = std::string(boost::json::parse(answer.body()).at("token").as_string());
  }

  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;  // declared after dir_: stopped before it is removed
  unsigned short port_ = 0;
  std::map<std::string, ca::Bytes> secrets_;
  std::map<std::string, std::string> tokens_;
};

}  // namespace jit::testing
