#include "tests/support/postgres_server.hpp"

#include "broker/store/pg/pg_connection.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/files.hpp"
#include "tests/support/ssh_process.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace jit::testing {
namespace {

const std::filesystem::path kPgBin = "/usr/lib/postgresql/15/bin";
// The superuser initdb creates; it logs in over the unix socket only (trust), never over TCP.
constexpr const char* kPgSuperuser = "jit_admin";

}  // namespace

PostgresServer::PostgresServer() : pg_dir_(dir_ / "pg") {
  if (!std::filesystem::exists(kPgBin / "initdb")) {
    throw std::runtime_error(
        "no PostgreSQL 15 at /usr/lib/postgresql/15/bin: install the postgresql package "
        "(examples/install-deps.sh --test)");
  }
  std::filesystem::create_directories(pg_dir_ / "run");
  if (::geteuid() == 0) {
    // initdb and postgres refuse root; the Debian package's own user runs the server.
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      throw std::runtime_error(
          "the tests run as root and there is no postgres user to run PostgreSQL as (install the "
          "postgresql package: examples/install-deps.sh --test)");
    }
    as_postgres_user_ = true;
    server_uid_ = user->pw_uid;
    server_gid_ = user->pw_gid;
    std::filesystem::permissions(dir_.path(), std::filesystem::perms(0711));
    for (const auto& path : {pg_dir_, pg_dir_ / "run"}) {
      if (::chown(path.c_str(), server_uid_, server_gid_) != 0) {
        throw std::runtime_error("cannot chown " + path.string() + " to postgres");
      }
    }
  }
  std::filesystem::permissions(pg_dir_, std::filesystem::perms(0700));
  // A copy of the cached cluster (cp -a keeps the server user's ownership and modes).
  const auto [code, out, err] = ChildProcess::run(
      {"/bin/cp", "-a", cluster_template().string(), (pg_dir_ / "data").string()}, dir_.path());
  if (code != 0) throw std::runtime_error("cannot copy the PostgreSQL cluster: " + out + err);
  const auto config = pg_dir_ / "data" / "postgresql.conf";
  const std::string base_config = read_text(config);
  // A port can be taken between free_loopback_port() and the server's bind: try a few.
  for (int attempt = 0;; ++attempt) {
    port_ = free_loopback_port();
    write_text(config, base_config +
                           "\nlisten_addresses = '127.0.0.1'\n"
                           "port = " +
                           std::to_string(port_) +
                           "\n"
                           "unix_socket_directories = '" +
                           (pg_dir_ / "run").string() +
                           "'\n"
                           "fsync = on\n"
                           "synchronous_commit = on\n"
                           "max_connections = 60\n"
                           "shared_buffers = 32MB\n");
    try {
      start();
      break;
    } catch (const std::runtime_error&) {
      if (attempt == 2) throw;
    }
  }
  admin_execute(std::string("CREATE ROLE ") + kBrokerRole + " LOGIN PASSWORD '" + kBrokerPassword +
                "'");
}

std::filesystem::path PostgresServer::cluster_template() const {
  const std::filesystem::path cache = std::filesystem::temp_directory_path() /
                                      ("jit-test-pg15-cluster-" + std::to_string(::geteuid()));
  // Trusted only when it is ours: a real folder of this user that nobody else may write to.
  struct stat info {};
  if (::lstat(cache.c_str(), &info) == 0 && S_ISDIR(info.st_mode) && info.st_uid == ::geteuid() &&
      (info.st_mode & 022) == 0 && std::filesystem::exists(cache / "data" / "PG_VERSION")) {
    return cache / "data";
  }
  // Made beside it and renamed into place, so concurrent test processes never see half a cluster.
  const std::filesystem::path staging = cache.string() + ".staging-" + std::to_string(::getpid());
  std::filesystem::remove_all(staging);
  std::filesystem::create_directories(staging / "data");
  std::filesystem::permissions(staging, std::filesystem::perms(0711));
  std::filesystem::permissions(staging / "data", std::filesystem::perms(0700));
  if (::chown((staging / "data").c_str(), server_uid_, server_gid_) != 0) {
    throw std::runtime_error("cannot chown " + (staging / "data").string());
  }
  // -N: no fsync of initdb's own files (a throw-away cluster); the servers run with fsync on.
  run_as_server_user({(kPgBin / "initdb").string(), "-D", (staging / "data").string(), "-U",
                      kPgSuperuser, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                      "--no-locale", "-N"});
  if (::lstat(cache.c_str(), &info) == 0 && S_ISDIR(info.st_mode) && info.st_uid == ::geteuid() &&
      !std::filesystem::exists(cache / "data" / "PG_VERSION")) {
    std::filesystem::remove_all(cache);  // an unusable leftover of ours
  }
  if (::rename(staging.c_str(), cache.c_str()) == 0) return cache / "data";
  // Another process put its cluster there first, or the name is not ours to use: this server
  // copies from its own cluster, which then goes with the temporary folder.
  const std::filesystem::path own = dir_ / "cluster";
  if (::rename(staging.c_str(), own.c_str()) != 0) {
    throw std::runtime_error("cannot move " + staging.string() + " to " + own.string());
  }
  return own / "data";
}

PostgresServer::~PostgresServer() {
  try {
    run_as_server_user({(kPgBin / "pg_ctl").string(), "stop", "-D", (pg_dir_ / "data").string(),
                        "-m", "immediate", "-w"});
  } catch (const std::exception&) {
    // Already stopped (a test stopped it), or gone: nothing to stop.
  }
}

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

void PostgresServer::run_as_server_user(std::vector<std::string> argv) const {
  if (as_postgres_user_) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  const std::string command = argv[0 + (as_postgres_user_ ? 4 : 0)];
  const auto [code, out, err] = ChildProcess::run(std::move(argv), pg_dir_);
  if (code != 0) {
    throw std::runtime_error(command + " failed (exit " + std::to_string(code) + "): " + out + err +
                             "\nserver log:\n" + log());
  }
}

std::string PostgresServer::url(const std::string& database, const std::string& role,
                                const std::string& password) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + database + " user=" + role +
         " password=" + password;
}

std::string PostgresServer::admin_url(const std::string& database) const {
  return "host=" + (pg_dir_ / "run").string() + " port=" + std::to_string(port_) +
         " dbname=" + database + " user=" + kPgSuperuser;
}

void PostgresServer::admin_execute(const std::string& sql, const std::string& database) const {
  broker::pg::Connection::connect(admin_url(database)).execute_script(sql);
}

std::string PostgresServer::create_database(const std::string& owner) {
  const std::string name = "test_db_" + std::to_string(++databases_);
  admin_execute("CREATE DATABASE " + name + " OWNER " + owner);
  return name;
}

std::filesystem::path PostgresServer::enable_tls() {
  const auto data = pg_dir_ / "data";
  const auto [code, out, err] = ChildProcess::run(
      {kOpensslBinary, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", (data / "server.key").string(), "-out", (data / "server.crt").string(),
       "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
      dir_.path());
  if (code != 0) throw std::runtime_error("openssl req failed: " + out + err);
  if (as_postgres_user_) {
    const passwd* user = ::getpwnam("postgres");
    for (const char* name : {"server.key", "server.crt"}) {
      if (::chown((data / name).c_str(), user->pw_uid, user->pw_gid) != 0) {
        throw std::runtime_error(std::string("cannot chown ") + name + " to postgres");
      }
    }
  }
  admin_execute("ALTER SYSTEM SET ssl = on");
  admin_execute("SELECT pg_reload_conf()");
  // The postmaster reloads in the background: wait until it offers TLS.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    try {
      broker::pg::Connection::connect(url("postgres") + " sslmode=require");
      break;
    } catch (const broker::pg::Error&) {
      if (std::chrono::steady_clock::now() > deadline) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return data / "server.crt";
}

void PostgresServer::stop_fast() {
  run_as_server_user({(kPgBin / "pg_ctl").string(), "stop", "-D", (pg_dir_ / "data").string(), "-m",
                      "fast", "-w"});
}

void PostgresServer::start() {
  run_as_server_user({(kPgBin / "pg_ctl").string(), "start", "-D", (pg_dir_ / "data").string(),
                      "-l", (pg_dir_ / "server.log").string(), "-w", "-t", "30"});
}

void PostgresServer::restart_fast() {
  stop_fast();
  start();
}

std::string PostgresServer::log() const {
  const auto file = pg_dir_ / "server.log";
  return std::filesystem::exists(file) ? read_text(file) : std::string("(no server log)");
}

}  // namespace jit::testing
