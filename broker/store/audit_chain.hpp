// The audit log is an append-only chain keyed with HMAC-SHA256 (docs/architecture.md invariant 10,
// issue 14). Each record's hash is an HMAC, under a key derived from the broker's data key (which
// is never in the database), of a canonical, length-prefixed encoding of every field including the
// previous record's hash. So an edit, a deletion or a reorder anywhere breaks verification from
// that record on, and whoever holds only the database cannot compute a chain that verifies. Cutting
// records off the end leaves a shorter valid chain: a verifier detects that with a trusted head (a
// hash or a record count it noted earlier).
#pragma once

#include "broker/store/db/db_connection.hpp"
#include "ca/bytes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// The chain's HMAC key (32 bytes, from audit_chain_key() in broker/auth/derived_keys.hpp). Wiped
// when destroyed.
class AuditChainKey {
 public:
  explicit AuditChainKey(ca::Bytes key);  // throws std::invalid_argument unless 32 bytes
  AuditChainKey(const AuditChainKey&) = default;
  AuditChainKey& operator=(const AuditChainKey&) = default;
  ~AuditChainKey();
  ca::ByteView bytes() const { return key_; }

 private:
  ca::Bytes key_;
};

// The hash the first record chains from.
extern const std::string kAuditGenesisHash;

// The bytes a record's hash covers: `tag`, then every field length-prefixed.
ca::Bytes audit_record_encoding(std::string_view tag, const AuditRecord& record);

// Lower-case hex HMAC-SHA256 of the record's encoding (tag "jit-audit-v2").
std::string audit_record_hash(const AuditChainKey& key, const AuditRecord& record);

// The end of the chain, kept in memory by the single writer so an append needs no read.
struct AuditHead {
  std::int64_t seq = 0;
  std::string hash = kAuditGenesisHash;
};

AuditHead load_audit_head(db::Connection& db);

// Called inside a write transaction before its head is read: on PostgreSQL it takes a
// transaction-level advisory lock, so that brokers sharing one database append one after the
// other and each reads the head the one before committed (docs/architecture.md, "Store backends
// (SQLite and PostgreSQL)"). On SQLite the transaction's write lock (BEGIN IMMEDIATE) does this.
void lock_audit_chain(db::Connection& db);

// Appends inside the caller's transaction and advances `head`. The caller restores its copy of
// `head` if the transaction is rolled back.
AuditRecord append_audit(db::Connection& db, const AuditChainKey& key, AuditHead& head,
                         const AuditEntry& entry, std::int64_t time_us);

// What the verifier noted earlier and trusts: the chain must still contain a record with this
// hash, and at least this many records. Either detects a cut-off tail.
struct TrustedAuditHead {
  std::optional<std::string> hash;
  std::optional<std::int64_t> min_records;
};

struct AuditVerification {
  bool ok = true;
  std::int64_t records = 0;                   // records verified (before the first bad one)
  std::string head_hash = kAuditGenesisHash;  // of the last record that verified
  std::optional<std::int64_t> first_bad_seq;  // set when !ok
  std::string problem;                        // what is wrong with that record
};

AuditVerification verify_audit_chain(db::Connection& db, const AuditChainKey& key,
                                     const TrustedAuditHead& trusted = {});

// Up to `limit` records with seq > after, in order (the API's pages).
std::vector<AuditRecord> read_audit_records(db::Connection& db, std::int64_t after,
                                            std::int64_t limit);

}  // namespace jit::broker
