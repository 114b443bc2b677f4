// One connection to PostgreSQL through libpq (docs/architecture.md, "Store backends (SQLite and
// PostgreSQL)"). Values reach the server only as parameters of prepared statements, which each
// connection prepares once per SQL text and parameter types and keeps. Every failure is a
// pg::Error (pg_error.hpp) whose message never holds the password. Not thread-safe: one thread
// uses a connection at a time, as libpq requires.
#pragma once

#include "broker/store/pg/pg_error.hpp"
#include "broker/store/pg/pg_result.hpp"

#include <cstddef>
#include <deque>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;  // libpq's PGconn

namespace jit::broker::pg {

struct Notification {
  std::string channel;
  std::string payload;
  int sender_pid = 0;  // the server process of the connection that sent it
};

// A statement sent in pipeline mode whose failure was read later: the error, and the tag the
// statement was sent under (Connection::set_deferred_tag).
struct DeferredFailure {
  std::size_t tag = 0;
  Error error;
};

class Connection {
 public:
  // Connects with a libpq connection string ("host=... dbname=..." or "postgresql://..."), with
  // every option libpq has (sslmode, sslrootcert, target_session_attrs...). Unless the string says
  // otherwise, gives up after connect_timeout=10 seconds. Throws Error: connection (unreachable,
  // refused, wrong password, TLS required but not offered) or bad_connection_string.
  static Connection connect(const std::string& conninfo);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  // Runs `sql` (one statement, parameters $1, $2...) as a prepared statement with `params`.
  Result execute(std::string_view sql, std::span<const Param> params);
  Result execute(std::string_view sql, std::initializer_list<Param> params = {}) {
    return execute(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Runs constant SQL that holds no values (DDL, BEGIN, LISTEN), with the simple query protocol
  // (one or more statements); its results, if any, are text. In pipeline mode (below) it runs one
  // statement only, with the extended protocol, and several fail with a syntax error.
  Result execute_script(std::string_view sql);

  // False once the server closed the connection or the network failed, or a statement failed
  // with a connection-class error (e.g. 25006 on a server that became a standby).
  bool ok() const;
  // The server's version as libpq reports it: 150018 for 15.18.
  int server_version() const;
  bool tls_in_use() const;
  // "TLSv1.3 TLS_AES_256_GCM_SHA384", or empty without TLS.
  std::string tls_description() const;
  // The connection's socket, for a reactor (an Asio posix::stream_descriptor waiting to read) that
  // calls take_notifications() when it becomes readable.
  int socket() const;
  // The server process serving this connection (pg_backend_pid()).
  int backend_pid() const;

  // LISTEN on `channel` (lower-case letters, digits and '_', starting with a letter or '_').
  void listen(std::string_view channel);
  // pg_notify(channel, payload): delivered to listeners when this connection's transaction commits.
  void notify(std::string_view channel, std::string_view payload);
  // Reads what arrived on the socket without blocking and returns the notifications so far.
  std::vector<Notification> take_notifications();

  // Pipeline mode (libpq's; docs/architecture.md, "The writer on PostgreSQL"). Between
  // enter_pipeline() and exit_pipeline(), execute_deferred() sends a statement and returns at once:
  // several statements then share one round trip to the server, since the next call that waits
  // (execute, execute_script, sync) sends them all with one Sync and reads every outcome in order.
  // The first deferred statement that fails is kept for take_deferred_failure(), and the server
  // skips every statement after it up to that Sync: the waiting call then throws the same Error.
  // execute() and execute_script() keep their meaning (one statement each in this mode), so code
  // that waits for its results runs unchanged. enter_pipeline() needs an idle connection.
  void enter_pipeline();
  // Reads what is still pending, then leaves pipeline mode; a connection it cannot bring back to
  // idle is given up (ok() false).
  void exit_pipeline() noexcept;
  bool in_pipeline() const { return pipeline_; }
  // The tag the next deferred statements are sent under (a job's index in a write batch).
  void set_deferred_tag(std::size_t tag) { deferred_tag_ = tag; }
  // Sends `sql` with `params` without waiting (outside pipeline mode: execute() and discard the
  // result). Rows it returns are dropped.
  void execute_deferred(std::string_view sql, std::span<const Param> params);
  void execute_deferred(std::string_view sql, std::initializer_list<Param> params = {}) {
    execute_deferred(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Waits for every statement sent so far; throws the first failure (also kept for
  // take_deferred_failure()).
  void sync();
  // The first deferred failure since the last call, if any; clears it.
  std::optional<DeferredFailure> take_deferred_failure();

  // Session-level advisory lock `key`: true when this connection now holds it, false when another
  // session holds it. The server frees it when this connection ends (a dead leader loses it).
  bool try_advisory_lock(std::int64_t key);
  void advisory_unlock(std::int64_t key);

 private:
  struct Finish {
    void operator()(pg_conn* conn) const;
  };
  // What the server is still to answer for, in the order it was sent (pipeline mode).
  struct Pending {
    std::size_t tag = 0;
    // Sent by execute() or execute_script(), whose caller sees its failure: never a deferred
    // failure. The result of the one that is not a Parse is the caller's.
    bool waited_for = false;
    std::string prepared_key;  // a Parse of a named statement: forgotten unless it succeeded
  };

  explicit Connection(pg_conn* conn) : conn_(conn) {}
  // The Error for the failed result `raw` (not null), from its SQLSTATE; a connection-class
  // failure also marks the connection unusable.
  Error error_of(struct pg_result* raw);
  // Throws the Error for a failed call: from `raw`'s SQLSTATE, or the connection's state.
  Result checked(struct pg_result* raw);
  [[noreturn]] void throw_connection_error(std::string_view what) const;
  const std::string& prepared_name(std::string_view sql, const BoundParams& bound);
  // Pipeline mode: queues a Parse when `sql` is new on this connection, then the Bind/Execute.
  void send_prepared(std::string_view sql, const BoundParams& bound, bool waited_for);
  // Pipeline mode: sends a Sync and reads every pending outcome up to it; the result of the one
  // statement execute() waits for, if any.
  std::optional<Result> read_through_sync();
  // Pipeline mode: gives the session up and throws a connection failure.
  [[noreturn]] void pipeline_broken(std::string_view what);

  std::unique_ptr<pg_conn, Finish> conn_;
  bool unusable_ = false;
  std::map<std::string, std::string, std::less<>> prepared_;  // SQL + types -> statement name
  bool pipeline_ = false;
  std::size_t deferred_tag_ = 0;
  std::deque<Pending> pending_;
  std::optional<DeferredFailure> deferred_failure_;
};

enum class Isolation { read_committed, repeatable_read, serializable };

// BEGIN ISOLATION LEVEL ... [READ ONLY]; the destructor rolls back unless commit() ran (and does
// nothing on a connection that is already gone: the server rolled back for us).
class Transaction {
 public:
  Transaction(Connection& connection, Isolation isolation, bool read_only = false);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Throws Error (retry for a serialization failure found at COMMIT under SERIALIZABLE; other
  // when an earlier statement failed, so the server rolled back instead).
  void commit();
  void rollback();

 private:
  Connection& connection_;
  bool open_ = true;
};

}  // namespace jit::broker::pg
