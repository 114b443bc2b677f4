// A real PostgreSQL 15 (Debian's `postgresql` package) for the PostgreSQL store tests, in a
// temporary folder: listening on 127.0.0.1 only on a free port, its unix socket in that folder,
// fsync on (durability is what the tests check). Host connections need a password (scram-sha-256),
// so a wrong password is refused as in production; the superuser connects over the unix socket.
// initdb refuses to run as root: as root the server runs as the package's `postgres` user
// (runuser), otherwise as the current user. initdb runs once per user (its cluster is cached under
// /tmp and copied), so a server starts in about a second; a test binary shares one server
// (shared()) and gives each test a database of its own (create_database()).
#pragma once

#include "tests/support/temp_dir.hpp"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace jit::testing {

class PostgresServer {
 public:
  // The login role a broker would use, with its password (scram-sha-256 over TCP).
  static constexpr const char* kBrokerRole = "jit";
  static constexpr const char* kBrokerPassword = "pg-broker-test-password-7f3a";

  // initdb, configure, start; creates kBrokerRole. Throws with the tool's output when a step fails.
  PostgresServer();
  ~PostgresServer();  // stops the server (immediate) and removes its files
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // One server per test binary, started on first use, stopped at exit.
  static PostgresServer& shared();

  std::uint16_t port() const { return port_; }
  // "host=127.0.0.1 port=P dbname=D user=U password=W" (TCP, password checked).
  std::string url(const std::string& database, const std::string& role = kBrokerRole,
                  const std::string& password = kBrokerPassword) const;
  // The superuser over the unix socket (trusted), for setting up roles and databases.
  std::string admin_url(const std::string& database = "postgres") const;
  // Runs constant SQL as the superuser in `database`.
  void admin_execute(const std::string& sql, const std::string& database = "postgres") const;
  // A new database owned by `owner`, with a name no other call of this server returns.
  std::string create_database(const std::string& owner = kBrokerRole);

  // Turns TLS on (ssl = on, reloaded): a self-signed P-256 certificate for IP 127.0.0.1, which is
  // returned for sslrootcert. Clients that do not ask for TLS still connect without it.
  std::filesystem::path enable_tls();

  // pg_ctl stop -m fast (disconnects every client, checkpoint) / start -w, same port and files.
  void stop_fast();
  void start();
  void restart_fast();
  std::string log() const;

 private:
  // A data folder made by initdb, cached under /tmp per user so that a test process copies it
  // (~0.1 s) instead of running initdb (~1.5 s); made on first use.
  std::filesystem::path cluster_template() const;
  // `argv` run as the server's user; throws with its output unless it exits 0.
  void run_as_server_user(std::vector<std::string> argv) const;

  TempDir dir_;
  std::filesystem::path pg_dir_;  // owned by the server's user: data/, run/, server.log
  std::uint16_t port_ = 0;
  bool as_postgres_user_ = false;
  unsigned server_uid_ = ::geteuid();  // the user the server runs as
  unsigned server_gid_ = ::getegid();
  int databases_ = 0;
};

}  // namespace jit::testing
