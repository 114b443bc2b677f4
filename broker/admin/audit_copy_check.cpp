#include "broker/admin/audit_copy_check.hpp"

#include "broker/store/audit_stream_positions.hpp"
#include "broker/workers/audit_stream_format.hpp"

#include <algorithm>
#include <istream>
#include <optional>
#include <ostream>
#include <unordered_map>

namespace jit::broker {
namespace {

constexpr std::size_t kMaxCopyLine = 4 * 1024 * 1024;
constexpr std::size_t kShownPerKind = 20;

// Reads one line into `line`; false at the end. A line longer than the bound is cut and flagged.
bool next_copy_line(std::istream& in, std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  char c = 0;
  bool any = false;
  while (in.get(c)) {
    any = true;
    if (c == '\n') return true;
    if (line.size() < kMaxCopyLine) {
      line += c;
    } else {
      too_long = true;
    }
  }
  return any;
}

std::optional<AuditRecord> database_record(db::Connection& db, std::int64_t seq) {
  const auto records = read_audit_records(db, seq - 1, 1);
  if (records.empty() || records.front().seq != seq) return std::nullopt;
  return records.front();
}

void add_range(AuditCopyReport& report, std::int64_t from, std::int64_t to) {
  report.missing += to - from + 1;
  if (report.missing_ranges.size() < kShownPerKind) {
    report.missing_ranges.push_back(from == to ? std::to_string(from)
                                               : std::to_string(from) + "-" + std::to_string(to));
  }
}

void print_findings(const std::vector<AuditCopyFinding>& findings, const std::string& prefix,
                    std::ostream& err) {
  for (std::size_t i = 0; i < findings.size() && i < kShownPerKind; ++i) {
    const auto& finding = findings[i];
    err << prefix << "line " << finding.line;
    if (finding.seq != 0) err << ": record " << finding.seq;
    err << ": " << finding.what << "\n";
  }
  if (findings.size() > kShownPerKind) {
    err << prefix << "... and " << findings.size() - kShownPerKind << " more like it\n";
  }
}

}  // namespace

AuditCopyReport check_audit_copy(std::istream& copy, db::Connection& db, const AuditChainKey& key,
                                 std::int64_t from_seq) {
  AuditCopyReport report;
  std::unordered_map<std::int64_t, std::int64_t> first_line_of;  // seq -> line
  std::int64_t highest = 0;
  std::string line;
  bool too_long = false;
  for (std::int64_t number = 1; next_copy_line(copy, line, too_long); ++number) {
    if (line.empty() || line == "\r") continue;
    const auto record = too_long ? std::nullopt : parse_audit_json_line(line);
    if (!record || record->seq < 1) {
      report.malformed.push_back({number, 0, too_long ? "line too long" : "not an audit record"});
      continue;
    }
    ++report.records;
    const std::int64_t seq = record->seq;
    if (report.first_seq == 0) report.first_seq = seq;
    if (const auto seen = first_line_of.find(seq); seen != first_line_of.end()) {
      report.duplicated.push_back(
          {number, seq, "duplicated (first on line " + std::to_string(seen->second) + ")"});
    } else {
      first_line_of.emplace(seq, number);
      if (seq < highest) {
        report.out_of_order.push_back(
            {number, seq, "out of order (after record " + std::to_string(highest) + ")"});
      }
    }
    highest = std::max(highest, seq);
    if (audit_record_hash(key, *record) != record->hash) {
      report.mismatched.push_back(
          {number, seq, "its content does not match its hash (altered in the copy)"});
    } else if (const auto stored = database_record(db, seq); !stored) {
      report.mismatched.push_back({number, seq, "the database has no such record"});
    } else if (stored->hash != record->hash) {
      report.mismatched.push_back({number, seq, "its hash differs from the database's record"});
    }
  }
  report.last_seq = highest;
  const std::int64_t first = from_seq > 0 ? from_seq : report.first_seq;
  if (first > 0) {
    std::optional<std::int64_t> gap_start;
    for (std::int64_t seq = first; seq <= highest + 1; ++seq) {
      const bool present = seq > highest || first_line_of.contains(seq);
      if (!present && !gap_start) gap_start = seq;
      if (present && gap_start) {
        add_range(report, *gap_start, seq - 1);
        gap_start.reset();
      }
    }
  }
  report.newer_in_database = std::max<std::int64_t>(0, audit_head_seq(db) - highest);
  return report;
}

void print_audit_copy_report(const AuditCopyReport& report, const std::string& name,
                             bool allow_duplicates, std::ostream& out, std::ostream& err) {
  const std::string prefix = "audit copy " + name + ": ";
  if (report.missing > 0) {
    err << prefix << report.missing << " records missing:";
    for (const auto& range : report.missing_ranges) err << " " << range;
    if (report.missing_ranges.size() == kShownPerKind) err << " ...";
    err << "\n";
  }
  print_findings(report.malformed, prefix, err);
  print_findings(report.out_of_order, prefix, err);
  print_findings(report.mismatched, prefix, err);
  print_findings(report.duplicated, prefix, err);
  std::ostream& summary = report.ok(allow_duplicates) ? out : err;
  summary << prefix << report.records << " records";
  if (report.records > 0) summary << ", seq " << report.first_seq << ".." << report.last_seq;
  if (!report.duplicated.empty() && allow_duplicates) {
    summary << ", " << report.duplicated.size() << " repeated (allowed: at-least-once delivery)";
  }
  summary << (report.ok(allow_duplicates) ? ": ok" : ": does NOT match the chain");
  if (report.newer_in_database > 0) {
    summary << " (the database has " << report.newer_in_database
            << " newer records, not in the copy yet)";
  }
  summary << "\n";
}

}  // namespace jit::broker
