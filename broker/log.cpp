#include "broker/log.hpp"

#include "broker/utf8.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>

namespace jit::broker {
namespace {

std::atomic<config::LogFormat> g_log_format{config::LogFormat::text};
std::mutex g_log_write_mutex;

constexpr char kLogHexDigits[] = "0123456789abcdef";

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
  }
  return "error";
}

// A JSON string: quotes, backslashes and control bytes escaped, invalid UTF-8 as U+FFFD, so any
// JSON parser reads it and it never spans lines.
void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c == '\t') {
      out.append("\\t");
    } else if (c < 0x20 || c == 0x7f) {
      out.append("\\u00");
      out.push_back(kLogHexDigits[c >> 4]);
      out.push_back(kLogHexDigits[c & 0xf]);
    } else if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(text, i);
      if (length == 0) {
        out.append("\\ufffd");
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    } else {
      out.push_back(static_cast<char>(c));
    }
    ++i;
  }
  out.push_back('"');
}

bool needs_text_quotes(std::string_view text) {
  if (text.empty()) return true;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '=') return true;
  }
  return false;
}

// A text value: bare when it is plain, else quoted with \" \\ \n and \xNN for every other byte
// outside printable ASCII, so a value never breaks the line or fakes another key.
void append_text_value(std::string& out, std::string_view text) {
  if (!needs_text_quotes(text)) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c < 0x20 || c >= 0x7f) {
      out.append("\\x");
      out.push_back(kLogHexDigits[c >> 4]);
      out.push_back(kLogHexDigits[c & 0xf]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

// "2026-12-05T12:44:57.123Z"
std::string rfc3339_millis(std::chrono::system_clock::time_point now) {
  const auto since_epoch = now.time_since_epoch();
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 40> text{};
  const int n = std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                              tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                              tm.tm_sec, static_cast<int>(millis));
  return std::string(text.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace

LogLine::LogLine(config::LogFormat format, LogLevel level, std::string_view event,
                 std::chrono::system_clock::time_point now)
    : format_(format) {
  buffer_.reserve(256);
  if (format_ == config::LogFormat::json) {
    buffer_.append("{\"time\":\"").append(rfc3339_millis(now)).append("\",\"level\":\"");
    buffer_.append(level_name(level)).append("\",\"event\":");
    append_json_string(buffer_, event);
  } else {
    // journald stamps each line itself; the text line keeps the daemon's old look.
    buffer_.append("jit-broker: ").append(level_name(level)).append(": ");
    append_text_value(buffer_, event);
  }
}

void LogLine::key(std::string_view name) {
  if (format_ == config::LogFormat::json) {
    buffer_.push_back(',');
    append_json_string(buffer_, name);
    buffer_.push_back(':');
  } else {
    buffer_.push_back(' ');
    buffer_.append(name).push_back('=');
  }
}

void LogLine::raw_value(std::string_view value) { buffer_.append(value); }

LogLine& LogLine::text(std::string_view name, std::string_view value) {
  key(name);
  if (format_ == config::LogFormat::json) {
    append_json_string(buffer_, value);
  } else {
    append_text_value(buffer_, value);
  }
  return *this;
}

LogLine& LogLine::text_or_null(std::string_view name, std::string_view value) {
  if (!value.empty()) return text(name, value);
  key(name);
  raw_value(format_ == config::LogFormat::json ? "null" : "-");
  return *this;
}

LogLine& LogLine::number(std::string_view name, std::int64_t value) {
  std::array<char, 24> digits{};
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  key(name);
  raw_value(std::string_view(digits.data(), static_cast<std::size_t>(result.ptr - digits.data())));
  return *this;
}

LogLine& LogLine::millis(std::string_view name, std::chrono::nanoseconds value) {
  const std::int64_t micros = std::max<std::int64_t>(0, value.count() / 1000);
  std::array<char, 32> digits{};
  const int n =
      std::snprintf(digits.data(), digits.size(), "%lld.%03lld",
                    static_cast<long long>(micros / 1000), static_cast<long long>(micros % 1000));
  key(name);
  raw_value(std::string_view(digits.data(), n > 0 ? static_cast<std::size_t>(n) : 0));
  return *this;
}

std::string LogLine::finish() && {
  if (format_ == config::LogFormat::json) buffer_.push_back('}');
  buffer_.push_back('\n');
  return std::move(buffer_);
}

void set_log_format(config::LogFormat format) { g_log_format.store(format); }

config::LogFormat log_format() { return g_log_format.load(); }

void write_log_line(std::string_view line) {
  const std::lock_guard lock(g_log_write_mutex);
  while (!line.empty()) {
    const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // nowhere to log to; the daemon keeps serving
    line.remove_prefix(static_cast<std::size_t>(written));
  }
}

void log_event(LogLevel level, std::string_view event,
               std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  LogLine line(log_format(), level, event, std::chrono::system_clock::now());
  for (const auto& [name, value] : fields) line.text(name, value);
  write_log_line(std::move(line).finish());
}

std::string new_http_request_id() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uint64_t value = generator();
  std::string id(16, '0');
  for (auto it = id.rbegin(); it != id.rend(); ++it, value >>= 4) *it = kLogHexDigits[value & 0xf];
  return id;
}

}  // namespace jit::broker
