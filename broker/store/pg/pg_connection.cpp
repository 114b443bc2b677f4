#include "broker/store/pg/pg_connection.hpp"

#include <libpq-fe.h>

#include <algorithm>

namespace jit::broker::pg {
namespace {

// The first line of a libpq message, without its "ERROR:  "/"FATAL:  " noise and newline.
std::string first_line(std::string_view text) {
  text = text.substr(0, text.find('\n'));
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  return std::string(text);
}

struct ConninfoOptionsFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

// The password a connection string holds ("" when it holds none), found by libpq's own parser so
// URIs and key=value strings are read alike.
std::string password_of(const std::string& conninfo) {
  char* error = nullptr;
  const std::unique_ptr<PQconninfoOption, ConninfoOptionsFree> options(
      PQconninfoParse(conninfo.c_str(), &error));
  if (options == nullptr) {
    PQfreemem(error);
    // libpq's parse error quotes pieces of the string, which may be the password: not repeated.
    throw Error(Failure::bad_connection_string, "",
                "the PostgreSQL connection string is malformed (libpq cannot parse it; its text "
                "is not repeated here as it may hold a password)");
  }
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (std::string_view(option->keyword) == "password" && option->val != nullptr) {
      return option->val;
    }
  }
  return {};
}

// libpq prints the server's notices and warnings to stderr by default, outside the broker's log
// format (docs/operations.md, "Logs"). None of ours needs one: they are dropped.
void drop_notice(void* /*unused*/, const char* /*message*/) {}

bool valid_channel(std::string_view channel) {
  if (channel.empty() || channel.size() > 63) return false;
  if (!(channel[0] == '_' || (channel[0] >= 'a' && channel[0] <= 'z'))) return false;
  return std::all_of(channel.begin(), channel.end(), [](char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

}  // namespace

void Connection::Finish::operator()(pg_conn* conn) const { PQfinish(conn); }

Connection Connection::connect(const std::string& conninfo) {
  const std::string password = password_of(conninfo);
  // Defaults first: the expanded connection string (dbname) comes later and overrides them.
  // No call may hang (docs/architecture.md, "Store backends (SQLite and PostgreSQL)"): a statement
  // runs 10 s at most and waits 5 s at most for a lock (a row, or the audit chain's advisory lock
  // another broker holds), each then failing as `timeout` (503); a transaction left idle is ended
  // by the server after a minute; TCP keepalives and a send timeout find a server that vanished
  // from the network in well under a minute instead of the kernel's two hours.
  // The server's own keepalives (set per session) make it notice a broker cut off by the network,
  // so a lock that broker held (the sweeper's) is freed within a minute. With several hosts listed
  // (a failover pair) only the writable one is taken.
  const char* keywords[] = {"connect_timeout",
                            "application_name",
                            "options",
                            "keepalives_idle",
                            "keepalives_interval",
                            "keepalives_count",
                            "tcp_user_timeout",
                            "target_session_attrs",
                            "dbname",
                            nullptr};
  const char* values[] = {"10",
                          "jit-broker",
                          "-c statement_timeout=10000 -c lock_timeout=5000 "
                          "-c idle_in_transaction_session_timeout=60000 "
                          "-c tcp_keepalives_idle=15 -c tcp_keepalives_interval=5 "
                          "-c tcp_keepalives_count=3",
                          "15",
                          "5",
                          "3",
                          "30000",
                          "read-write",
                          conninfo.c_str(),
                          nullptr};
  Connection connection(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (connection.conn_ == nullptr) {
    throw Error(Failure::connection, "", "PostgreSQL: out of memory for a connection");
  }
  if (PQstatus(connection.conn_.get()) != CONNECTION_OK) {
    throw Error(Failure::connection, "",
                "cannot connect to PostgreSQL: " +
                    scrub_secret(first_line(PQerrorMessage(connection.conn_.get())), password));
  }
  PQsetNoticeProcessor(connection.conn_.get(), &drop_notice, nullptr);
  return connection;
}

Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

void Connection::throw_connection_error(std::string_view what) const {
  // libpq's connection messages name host and port, never the password; scrubbed all the same.
  const char* password = PQpass(conn_.get());
  throw Error(Failure::connection, "",
              std::string(what) + ": " +
                  scrub_secret(first_line(PQerrorMessage(conn_.get())),
                               password != nullptr ? password : ""));
}

Result Connection::checked(pg_result* raw) {
  if (raw == nullptr) throw_connection_error("PostgreSQL connection failed");
  Result result(raw);
  const ExecStatusType status = PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  throw error_of(raw);
}

Error Connection::error_of(pg_result* raw) {
  const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
  std::string sqlstate = state != nullptr ? state : "";
  // The primary message only: DETAIL may quote the row's values.
  const std::string message =
      primary != nullptr ? std::string(primary) : first_line(PQresultErrorMessage(raw));
  const char* password = PQpass(conn_.get());
  const Failure failure =
      PQstatus(conn_.get()) == CONNECTION_BAD ? Failure::connection : classify_sqlstate(sqlstate);
  // A server that answers but will not serve this session any more (it became a standby, or is
  // shutting down) leaves libpq's status OK: the session is given up all the same, so the pools
  // and the writer open a new one (to the new primary, with target_session_attrs=read-write).
  if (failure == Failure::connection) unusable_ = true;
  return Error(failure, std::move(sqlstate),
               "PostgreSQL: " + scrub_secret(message, password != nullptr ? password : ""));
}

const std::string& Connection::prepared_name(std::string_view sql, const BoundParams& bound) {
  if (const auto found = prepared_.find(bound.key); found != prepared_.end()) return found->second;
  std::string name = "jit_" + std::to_string(prepared_.size() + 1);
  checked(PQprepare(conn_.get(), name.c_str(), std::string(sql).c_str(), bound.count(),
                    bound.types.data()));
  return prepared_.emplace(bound.key, std::move(name)).first->second;
}

Result Connection::execute(std::string_view sql, std::span<const Param> params) {
  const BoundParams bound(sql, params);
  if (pipeline_) {
    send_prepared(sql, bound, /*waited_for=*/true);
    return std::move(*read_through_sync());
  }
  const std::string& name = prepared_name(sql, bound);
  return checked(PQexecPrepared(conn_.get(), name.c_str(), bound.count(), bound.values.data(),
                                bound.lengths.data(), bound.formats.data(),
                                /*resultFormat=*/1));
}

Result Connection::execute_script(std::string_view sql) {
  if (pipeline_) {
    // One statement (the extended protocol, which pipeline mode requires), with text results.
    if (PQsendQueryParams(conn_.get(), std::string(sql).c_str(), 0, nullptr, nullptr, nullptr,
                          nullptr, 0) != 1) {
      pipeline_broken("PostgreSQL: cannot send a statement");
    }
    pending_.push_back({deferred_tag_, /*waited_for=*/true, {}});
    return std::move(*read_through_sync());
  }
  return checked(PQexec(conn_.get(), std::string(sql).c_str()));
}

bool Connection::ok() const { return !unusable_ && PQstatus(conn_.get()) == CONNECTION_OK; }
int Connection::server_version() const { return PQserverVersion(conn_.get()); }
bool Connection::tls_in_use() const { return PQsslInUse(conn_.get()) != 0; }
int Connection::socket() const { return PQsocket(conn_.get()); }
int Connection::backend_pid() const { return PQbackendPID(conn_.get()); }

std::string Connection::tls_description() const {
  if (!tls_in_use()) return {};
  const char* protocol = PQsslAttribute(conn_.get(), "protocol");
  const char* cipher = PQsslAttribute(conn_.get(), "cipher");
  return std::string(protocol != nullptr ? protocol : "TLS") + " " +
         (cipher != nullptr ? cipher : "");
}

void Connection::listen(std::string_view channel) {
  if (!valid_channel(channel)) {
    throw Error(Failure::other, "", "not a channel name: " + std::string(channel));
  }
  // A channel is an identifier, which LISTEN cannot take as a parameter; checked above.
  execute_script("LISTEN " + std::string(channel));
}

void Connection::notify(std::string_view channel, std::string_view payload) {
  execute("SELECT pg_notify($1, $2)", {channel, payload});
}

std::vector<Notification> Connection::take_notifications() {
  if (PQconsumeInput(conn_.get()) == 0) throw_connection_error("PostgreSQL connection failed");
  std::vector<Notification> notifications;
  while (true) {
    const std::unique_ptr<PGnotify, decltype(&PQfreemem)> notice(PQnotifies(conn_.get()),
                                                                 &PQfreemem);
    if (notice == nullptr) break;
    notifications.push_back({notice->relname, notice->extra, notice->be_pid});
  }
  return notifications;
}

bool Connection::try_advisory_lock(std::int64_t key) {
  return execute("SELECT pg_try_advisory_lock($1)", {key}).get_bool(0, 0);
}

void Connection::advisory_unlock(std::int64_t key) {
  execute("SELECT pg_advisory_unlock($1)", {key});
}

Transaction::Transaction(Connection& connection, Isolation isolation, bool read_only)
    : connection_(connection) {
  const char* level = isolation == Isolation::serializable      ? "SERIALIZABLE"
                      : isolation == Isolation::repeatable_read ? "REPEATABLE READ"
                                                                : "READ COMMITTED";
  connection_.execute_script(std::string("BEGIN ISOLATION LEVEL ") + level +
                             (read_only ? " READ ONLY" : ""));
}

Transaction::~Transaction() {
  if (!open_ || !connection_.ok()) return;
  try {
    connection_.execute_script("ROLLBACK");
  } catch (const Error&) {
    // The connection failed while rolling back: the server ends the transaction with it.
  }
}

void Transaction::commit() {
  open_ = false;
  // COMMIT of a transaction in which a statement failed succeeds as "ROLLBACK".
  if (connection_.execute_script("COMMIT").command_status() != "COMMIT") {
    throw Error(Failure::other, "", "PostgreSQL: the transaction was rolled back, not committed");
  }
}

void Transaction::rollback() {
  open_ = false;
  connection_.execute_script("ROLLBACK");
}

}  // namespace jit::broker::pg
