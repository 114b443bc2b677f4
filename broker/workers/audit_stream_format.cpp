#include "broker/workers/audit_stream_format.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <ctime>

namespace jit::broker {
namespace {

// RFC 5424 header fields: 1..max characters of PRINTUSASCII (33..126), else the NILVALUE.
std::string header_field(std::string_view value, std::size_t max) {
  if (value.empty() || value.size() > max) return "-";
  for (const char c : value) {
    if (c < 33 || c > 126) return "-";
  }
  return std::string(value);
}

const boost::json::string* string_at(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value ? value->if_string() : nullptr;
}

}  // namespace

std::string audit_json_line(const AuditRecord& record) {
  boost::json::object line;
  line["seq"] = record.seq;
  line["time_us"] = record.time_us;
  line["actor"] = record.actor;
  line["action"] = record.action;
  line["object"] = record.object;
  line["details"] = record.details;
  line["prev_hash"] = record.prev_hash;
  line["hash"] = record.hash;
  std::string text = boost::json::serialize(line);
  // DEL is the one control character JSON leaves as is; syslog servers escape it on receipt
  // (rsyslog writes "#177"), which would change the line. Written as \u007f it means the same.
  for (auto at = text.find('\x7f'); at != std::string::npos; at = text.find('\x7f', at)) {
    text.replace(at, 1, "\\u007f");
  }
  return text;
}

std::optional<AuditRecord> parse_audit_json_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(line, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& object = value.get_object();
  if (object.size() != 8) return std::nullopt;
  const auto* seq = object.if_contains("seq");
  const auto* time_us = object.if_contains("time_us");
  if (!seq || !seq->is_int64() || !time_us || !time_us->is_int64()) return std::nullopt;
  AuditRecord record;
  record.seq = seq->get_int64();
  record.time_us = time_us->get_int64();
  const std::pair<std::string_view, std::string*> fields[] = {
      {"actor", &record.actor},     {"action", &record.action},       {"object", &record.object},
      {"details", &record.details}, {"prev_hash", &record.prev_hash}, {"hash", &record.hash}};
  for (const auto& [key, target] : fields) {
    const auto* text = string_at(object, key);
    if (!text) return std::nullopt;
    target->assign(text->data(), text->size());
  }
  return record;
}

std::string rfc3339_utc(std::int64_t time_us) {
  std::int64_t seconds = time_us / 1'000'000;
  std::int64_t micros = time_us % 1'000'000;
  if (micros < 0) {
    micros += 1'000'000;
    --seconds;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[64];
  const auto n = std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                               utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                               utc.tm_min, utc.tm_sec, static_cast<int>(micros));
  return std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::string rfc5424_message(const AuditRecord& record, const SyslogHeader& header) {
  std::string message = "<" + std::to_string(kAuditSyslogPri) + ">1 ";
  message += rfc3339_utc(record.time_us);
  message += ' ';
  message += header_field(header.hostname, 255);
  message += ' ';
  message += header_field(header.app_name, 48);
  message += ' ';
  message += header_field(header.procid, 128);
  message += " audit - ";
  message += audit_json_line(record);
  return message;
}

std::string octet_counted_frame(std::string_view message) {
  std::string frame = std::to_string(message.size());
  frame += ' ';
  frame += message;
  return frame;
}

}  // namespace jit::broker
