// A real `jit-broker serve` process on 127.0.0.1 for tests that attack it from outside: the
// BrokerProcess harness with enrolled users logged in, raw TLS clients, and a read-only look into
// its database to prove that an attack wrote nothing. Stopped (SIGTERM, then SIGKILL) by the
// destructor, even when a test fails.
#pragma once

#include "tests/support/broker_process.hpp"
#include "tests/support/http_test_client.hpp"

#include <SQLiteCpp/Database.h>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
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

std::ostream& operator<<(std::ostream& out, const DatabaseSnapshot& s);

struct AuditRow {
  std::string actor, action, object;
  boost::json::value details;
  bool operator==(const AuditRow&) const = default;
};

std::ostream& operator<<(std::ostream& out, const AuditRow& row);

class RunningBroker {
 public:
  // Every user's password: 12 characters or more, no user's name (approvals/password_rules.hpp).
  static constexpr std::string_view kPassword = kTestPassword;

  // Writes broker.yaml (dev TLS and CA, plus `extra_config` lines), enrols `users` (password
  // kPassword), starts `serve`, waits for its first revocation publication (so that nothing of
  // the start-up is still being written), then logs every user in.
  RunningBroker(const std::string& policy_yaml, const std::string& extra_config,
                const std::vector<std::string>& users);

  // Stops the broker, replaces its policy file and starts it again on the same data (sessions
  // stay valid); throws when it does not stop or start.
  void restart_with_policy(const std::string& policy_yaml);

  unsigned short port() const { return broker_.port(); }
  boost::asio::ip::tcp::endpoint endpoint() const;
  std::filesystem::path ca_file() const { return broker_.ca_file(); }
  const std::filesystem::path& dir() const { return broker_.dir(); }
  const std::string& token(const std::string& user) const { return tokens_.at(user); }

  // A client with TCP and TLS done (or only TCP, or nothing, for the attacks on those layers).
  std::unique_ptr<TlsTestClient> client(
      bool connect = true, std::chrono::milliseconds step_timeout = std::chrono::seconds(10)) const;

  // Stops the broker with SIGTERM; its exit code, or -1 when it did not stop within 15 s.
  int stop();

  // True while the process runs (it has not crashed or exited).
  bool alive() { return broker_.running(); }
  std::string stderr_text() const { return broker_.errors(); }

  // GET /healthz on a new connection answers 200.
  bool healthy() const;
  std::string metrics() const;

  DatabaseSnapshot snapshot() const;
  // The audit records after `seq`, oldest first.
  std::vector<AuditRow> audit_after(std::int64_t seq) const;
  std::int64_t count(const std::string& sql) const;
  // A read-only connection: WAL lets it read while the broker writes.
  std::unique_ptr<SQLite::Database> open() const;

 private:
  // Starts `serve` and waits for its first revocation publication after the start.
  void start();
  // Each user logs in once, so the TOTP code of the current step is never a replay.
  void login(const std::string& user);

  BrokerProcess broker_;
  std::optional<int> stopped_;  // the exit code stop() saw, until the next start
  std::map<std::string, ca::Bytes> secrets_;
  std::map<std::string, std::string> tokens_;
};

}  // namespace jit::testing
