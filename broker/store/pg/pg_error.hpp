// Errors of the PostgreSQL layer (docs/architecture.md, "Store backends (SQLite and PostgreSQL)").
// libpq reports a failure as a SQLSTATE and a text; Error keeps the SQLSTATE, sorts it into the few
// kinds the broker acts on differently (retry the transaction, answer 409, answer 503) and maps
// each kind to one BrokerErrc. Its message never holds the connection password.
#pragma once

#include "broker/broker_error.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

namespace jit::broker::pg {

enum class Failure {
  // The connection is gone or could not be made: server down or shutting down, network, wrong
  // password, too many connections. A new connection may work later.
  connection,
  // Serialization failure (40001) or deadlock (40P01): run the whole transaction again.
  retry,
  unique_violation,  // 23505: a duplicate key, distinct from every other constraint
  timeout,           // a statement or lock timeout (57014, 55P03): the row was busy
  bad_connection_string,
  other,  // anything else: a bug of ours or a damaged database
};

class Error : public std::runtime_error {
 public:
  Error(Failure failure, std::string sqlstate, const std::string& message)
      : std::runtime_error(message), failure_(failure), sqlstate_(std::move(sqlstate)) {}
  Failure failure() const { return failure_; }
  // Five characters, or empty when the failure did not come from the server.
  const std::string& sqlstate() const { return sqlstate_; }
  bool retryable() const { return failure_ == Failure::retry; }
  // unavailable (connection, retry, timeout), conflict (unique violation), invalid_input (a
  // malformed connection string), internal (other).
  boost::system::error_code code() const;

 private:
  Failure failure_;
  std::string sqlstate_;
};

// The kind of a server error from its SQLSTATE alone.
Failure classify_sqlstate(std::string_view sqlstate);

// `text` with every occurrence of `secret` replaced by "***" (nothing when `secret` is empty).
std::string scrub_secret(std::string text, std::string_view secret);

}  // namespace jit::broker::pg
