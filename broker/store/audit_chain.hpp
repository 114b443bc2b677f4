// The audit log: an append-only hash chain (docs/architecture.md invariant 10). Each hash covers a
// canonical, length-prefixed encoding of every field, including the previous record's hash, so an
// edit, a deletion or a reorder anywhere breaks verification from that record on.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>

namespace jit::broker {

// What a caller records; the chain fills in seq, time and hashes.
struct AuditEntry {
  std::string actor;    // user name, or "system" for the sweeper and start-up
  std::string action;   // e.g. "request.create", "grant.expire", "login.failure"
  std::string object;   // e.g. "request/7f3a...", "user/alice"
  std::string details;  // a JSON object, never a secret
};

struct AuditRecord {
  std::int64_t seq = 0;
  std::int64_t time_us = 0;
  std::string actor, action, object, details;
  std::string prev_hash;
  std::string hash;
};

// The hash the first record chains from.
extern const std::string kAuditGenesisHash;

std::string audit_record_hash(const AuditRecord& record);

// The end of the chain, kept in memory by the single writer so an append needs no read.
struct AuditHead {
  std::int64_t seq = 0;
  std::string hash = kAuditGenesisHash;
};

AuditHead load_audit_head(SQLite::Database& db);

// Appends inside the caller's transaction and advances `head`. The caller restores its copy of
// `head` if the transaction is rolled back.
AuditRecord append_audit(SQLite::Database& db, AuditHead& head, const AuditEntry& entry,
                         std::int64_t time_us);

struct AuditVerification {
  bool ok = true;
  std::int64_t records = 0;
  std::string head_hash = kAuditGenesisHash;
  std::optional<std::int64_t> first_bad_seq;  // set when !ok
  std::string problem;                        // what is wrong with that record
};

AuditVerification verify_audit_chain(SQLite::Database& db);

}  // namespace jit::broker
