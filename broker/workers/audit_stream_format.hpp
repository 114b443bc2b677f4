// What the audit stream writes (docs/architecture.md, "Audit stream"), as pure functions: one
// audit record as one JSON line (the file sink writes it as is; the syslog sink sends it as the
// MSG of an RFC 5424 message), that message, and RFC 6587 octet-counted framing. The line carries
// the record's chain position and hashes, so `jit-broker audit verify --against FILE` reads back
// either copy (the file, or a file rsyslog wrote with a template of just %msg%) with one parser.
#pragma once

#include "broker/store/audit_chain.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jit::broker {

// {"seq":N,"time_us":N,"actor":"..","action":"..","object":"..","details":"<the JSON text>",
//  "prev_hash":"..","hash":".."} without a line break. `details` stays the exact text the hash
// covers (a string, not an object), so the record's HMAC can be recomputed from the line.
std::string audit_json_line(const AuditRecord& record);

// The record of a line made by audit_json_line (surrounding spaces and a final CR/LF allowed);
// nullopt when the line is not such a record.
std::optional<AuditRecord> parse_audit_json_line(std::string_view line);

// RFC 3339 UTC time with microseconds, as RFC 5424's TIMESTAMP: 2026-12-05T14:32:55.123456Z.
std::string rfc3339_utc(std::int64_t time_us);

// The fixed parts of each RFC 5424 header. Values outside RFC 5424's PRINTUSASCII (or too long:
// 255, 48, 128 characters) are sent as the NILVALUE "-".
struct SyslogHeader {
  std::string hostname;
  std::string app_name = "jit-broker";
  std::string procid;
};

// Facility 13 (log audit) and severity 6 (informational): PRI 110.
inline constexpr int kAuditSyslogPri = 13 * 8 + 6;

// "<110>1 TIMESTAMP HOSTNAME APP-NAME PROCID audit - JSON-LINE" (MSGID "audit", no structured
// data, the MSG without a BOM so that rsyslog's %msg% is exactly the line).
std::string rfc5424_message(const AuditRecord& record, const SyslogHeader& header);

// RFC 6587 octet counting: "LEN SP MSG", LEN the decimal byte count of MSG.
std::string octet_counted_frame(std::string_view message);

}  // namespace jit::broker
