// `jit-broker audit verify --against FILE` (docs/operations.md, "Audit stream to a SIEM"): checks a
// copy of the audit log that the audit stream wrote (the file sink's JSON lines, or the file a
// syslog server wrote with a template of just the message) against the database's chain. Each
// line must be a record the chain holds, byte for byte (its HMAC recomputed from the line under
// the chain key, and the same hash as the database's record of that seq), once, in seq order, and
// no seq may be missing from the first expected one up to the copy's last.
#pragma once

#include "broker/store/audit_chain.hpp"
#include "broker/store/db/db_connection.hpp"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace jit::broker {

struct AuditCopyFinding {
  std::int64_t line = 0;  // 1-based line in the copy
  std::int64_t seq = 0;   // 0 for a line that is not a record
  std::string what;
};

struct AuditCopyReport {
  std::int64_t records = 0;  // lines that parsed as records
  std::int64_t first_seq = 0, last_seq = 0;
  std::int64_t missing = 0;                  // records absent between the expected first and last
  std::vector<std::string> missing_ranges;   // "5", "7-9" (the first 20)
  std::vector<AuditCopyFinding> duplicated;  // a seq seen before
  std::vector<AuditCopyFinding> out_of_order;
  std::vector<AuditCopyFinding> mismatched;  // altered, or not the database's record
  std::vector<AuditCopyFinding> malformed;   // not a record line
  std::int64_t newer_in_database = 0;        // records after the copy's last (not streamed yet)

  [[nodiscard]] bool ok(bool allow_duplicates) const {
    return missing == 0 && out_of_order.empty() && mismatched.empty() && malformed.empty() &&
           (allow_duplicates || duplicated.empty());
  }
};

// Lines of at most 4 MiB; empty lines are skipped. `from_seq` is the first record the copy must
// have (0: whatever its first line is).
AuditCopyReport check_audit_copy(std::istream& copy, db::Connection& db, const AuditChainKey& key,
                                 std::int64_t from_seq = 0);

// The report as lines for people ("audit copy FILE: ..."), problems first; at most 20 of a kind.
void print_audit_copy_report(const AuditCopyReport& report, const std::string& name,
                             bool allow_duplicates, std::ostream& out, std::ostream& err);

}  // namespace jit::broker
