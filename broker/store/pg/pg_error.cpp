#include "broker/store/pg/pg_error.hpp"

namespace jit::broker::pg {

boost::system::error_code Error::code() const {
  switch (failure_) {
    case Failure::connection:
    case Failure::retry:
    case Failure::timeout:
      return BrokerErrc::unavailable;
    case Failure::unique_violation:
      return BrokerErrc::conflict;
    case Failure::bad_connection_string:
      return BrokerErrc::invalid_input;
    case Failure::other:
      break;
  }
  return BrokerErrc::internal;
}

Failure classify_sqlstate(std::string_view sqlstate) {
  if (sqlstate == "40001" || sqlstate == "40P01") return Failure::retry;
  if (sqlstate == "23505") return Failure::unique_violation;
  if (sqlstate == "57014" || sqlstate == "55P03") return Failure::timeout;
  // 08: connection exceptions; 28: authorization (wrong password); 53: insufficient resources
  // (too many connections); 57P01-57P03: the server is shutting down or starting.
  if (sqlstate.starts_with("08") || sqlstate.starts_with("28") || sqlstate.starts_with("53") ||
      sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||
      // 25006: a write on a server that became a standby (a failover): reconnect to the new
      // primary.
      sqlstate == "25006") {
    return Failure::connection;
  }
  return Failure::other;
}

std::string scrub_secret(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

}  // namespace jit::broker::pg
