// The daemon's one logger (docs/operations.md "Logs"): every access line and every notable event
// (start, stop, worker failures, the catch-all sites) is one line on stderr, which systemd's
// journald captures. A line is formatted into one buffer and written with one write(2) under a
// mutex, so lines from different threads never interleave. `log_format: json` makes each line a
// JSON object (every string escaped, invalid UTF-8 replaced), `text` a readable
// "jit-broker: LEVEL: EVENT key=value ..." line; both stay on one line whatever a value holds.
// Callers pass only what may be read by whoever reads the log: never a password, a TOTP code, a
// token, a cookie or a query string.
#pragma once

#include "config/broker_config.hpp"

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace jit::broker {

enum class LogLevel { info, warning, error };

// One line being built. Pure (no I/O, the time passed in), so tests check exact output.
class LogLine {
 public:
  LogLine(config::LogFormat format, LogLevel level, std::string_view event,
          std::chrono::system_clock::time_point now);

  LogLine& text(std::string_view key, std::string_view value);
  // A JSON null (text: "-") when the value is empty: an unknown user, an unmatched route.
  LogLine& text_or_null(std::string_view key, std::string_view value);
  LogLine& number(std::string_view key, std::int64_t value);
  // Milliseconds with microsecond precision ("12.345").
  LogLine& millis(std::string_view key, std::chrono::nanoseconds value);

  // The finished line, ending in '\n'.
  [[nodiscard]] std::string finish() &&;

 private:
  void key(std::string_view name);
  void raw_value(std::string_view value);  // already valid in both formats (numbers)

  config::LogFormat format_;
  std::string buffer_;
};

// The format every later line uses; set once at start-up (text until then).
void set_log_format(config::LogFormat format);
[[nodiscard]] config::LogFormat log_format();

// Writes one finished line to stderr in a single write(2) (retried only for a partial write).
void write_log_line(std::string_view line);

// A notable event with string fields, in the configured format, now.
void log_event(LogLevel level, std::string_view event,
               std::initializer_list<std::pair<std::string_view, std::string_view>> fields = {});

// A new id for an HTTP request (not an access request's req- id): 16 hex digits from a per-thread
// generator (an id to quote, not a secret).
[[nodiscard]] std::string new_http_request_id();

}  // namespace jit::broker
