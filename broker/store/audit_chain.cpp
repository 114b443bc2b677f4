#include "broker/store/audit_chain.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/digest.hpp"

#include <limits>
#include <stdexcept>

namespace jit::broker {
namespace {

AuditRecord record_from(db::Statement& query) {
  return AuditRecord{query.get_int64(0), query.get_int64(1), query.get_text(2), query.get_text(3),
                     query.get_text(4),  query.get_text(5),  query.get_text(6), query.get_text(7)};
}

constexpr std::string_view kRecordColumns =
    "seq, time_us, actor, action, object, details, prev_hash, hash";

}  // namespace

const std::string kAuditGenesisHash(64, '0');

AuditChainKey::AuditChainKey(ca::Bytes key) : key_(std::move(key)) {
  if (key_.size() != 32) throw std::invalid_argument("the audit chain key must be 32 bytes");
}

AuditChainKey::~AuditChainKey() { ca::wipe(key_); }

ca::Bytes audit_record_encoding(std::string_view tag, const AuditRecord& record) {
  // The tag, then every field length-prefixed: no two different records encode alike.
  ca::ByteWriter encoding;
  encoding.string(tag);
  encoding.u64(static_cast<std::uint64_t>(record.seq));
  encoding.u64(static_cast<std::uint64_t>(record.time_us));
  encoding.string(record.actor);
  encoding.string(record.action);
  encoding.string(record.object);
  encoding.string(record.details);
  encoding.string(record.prev_hash);
  return encoding.bytes();
}

std::string audit_record_hash(const AuditChainKey& key, const AuditRecord& record) {
  // The tag differs from the unkeyed chain's ("jit-audit-v1") of schema versions before 6.
  auto mac = approvals::hmac_sha256(key.bytes(), audit_record_encoding("jit-audit-v2", record));
  if (!mac) throw std::runtime_error("HMAC-SHA256 failed");
  return ca::hex_encode(*mac);
}

AuditHead load_audit_head(db::Connection& db) {
  auto statement = prepare_cached(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
  auto& query = statement;
  AuditHead head;
  if (query.step()) {
    head.seq = query.get_int64(0);
    head.hash = query.get_text(1);
  }
  return head;
}

void lock_audit_chain(db::Connection& db) {
  if (db.backend() != db::Backend::postgresql) return;
  constexpr std::int64_t kAuditChainLockKey = 0x6a69746175646974;  // "jitaudit"
  auto statement = prepare_cached(db, "SELECT pg_advisory_xact_lock(?)");
  statement.bind(1, kAuditChainLockKey);
  // Nobody reads its one void row: the writer sends it without waiting, with its head read (the
  // lock is held from here on all the same, and a lock timeout fails that read).
  statement.exec_deferred();
}

AuditRecord append_audit(db::Connection& db, const AuditChainKey& key, AuditHead& head,
                         const AuditEntry& entry, std::int64_t time_us) {
  AuditRecord record{head.seq + 1, time_us,
                     entry.actor,  entry.action,
                     entry.object, entry.details.empty() ? "{}" : entry.details,
                     head.hash,    {}};
  record.hash = audit_record_hash(key, record);
  auto statement = prepare_cached(db,
                                  "INSERT INTO audit(seq, time_us, actor, action, object, details, "
                                  "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  auto& insert = statement;
  insert.bind(1, record.seq);
  insert.bind(2, record.time_us);
  insert.bind(3, record.actor);
  insert.bind(4, record.action);
  insert.bind(5, record.object);
  insert.bind(6, record.details);
  insert.bind(7, record.prev_hash);
  insert.bind(8, record.hash);
  // Sent without waiting inside the PostgreSQL writer's batch: a failure there rolls the job back
  // before anything is answered (docs/architecture.md, "The writer on PostgreSQL").
  insert.exec_deferred();
  head.seq = record.seq;
  head.hash = record.hash;
  return record;
}

AuditVerification verify_audit_chain(db::Connection& db, const AuditChainKey& key,
                                     const TrustedAuditHead& trusted) {
  AuditVerification result;
  // A page at a time: PostgreSQL hands over a whole result at once, and a chain has no bound.
  constexpr std::int64_t kPageRecords = 1000;
  db::Statement query(db, "SELECT " + std::string(kRecordColumns) +
                              " FROM audit WHERE seq > ? ORDER BY seq LIMIT ?");
  query.bind(2, kPageRecords);
  std::int64_t expected_seq = 1;
  std::string expected_prev = kAuditGenesisHash;
  bool trusted_hash_seen = trusted.hash && *trusted.hash == kAuditGenesisHash;
  const auto fail = [&result, &expected_prev](std::int64_t seq, std::string problem) {
    result.ok = false;
    result.first_bad_seq = seq;
    result.problem = std::move(problem);
    result.head_hash = expected_prev;  // the last record that verified
  };
  // Below any seq, so that a record put in before the first (seq 0 or less) is seen as a gap.
  std::int64_t last_seq = std::numeric_limits<std::int64_t>::min();
  std::int64_t page_records = kPageRecords;
  while (page_records == kPageRecords) {
    query.reset();
    query.bind(1, last_seq);
    page_records = 0;
    while (query.step()) {
      const AuditRecord record = record_from(query);
      ++page_records;
      last_seq = record.seq;
      if (record.seq != expected_seq) {
        fail(record.seq, "sequence gap: expected record " + std::to_string(expected_seq) +
                             " (a record was deleted)");
        return result;
      }
      if (record.prev_hash != expected_prev) {
        fail(record.seq, "previous-hash link broken (records deleted or reordered)");
        return result;
      }
      if (audit_record_hash(key, record) != record.hash) {
        fail(record.seq,
             "hash does not match the record's content under the broker's key (record edited or "
             "chain recomputed without the key)");
        return result;
      }
      ++result.records;
      expected_prev = record.hash;
      if (trusted.hash && record.hash == *trusted.hash) trusted_hash_seen = true;
      ++expected_seq;
    }
  }
  result.head_hash = expected_prev;
  if (trusted.min_records && result.records < *trusted.min_records) {
    fail(expected_seq, "chain truncated: " + std::to_string(result.records) +
                           " records, expected at least " + std::to_string(*trusted.min_records));
  } else if (trusted.hash && !trusted_hash_seen) {
    fail(expected_seq, "trusted head " + *trusted.hash +
                           " is not in the chain (records cut off or the chain rewritten)");
  }
  return result;
}

std::vector<AuditRecord> read_audit_records(db::Connection& db, std::int64_t after,
                                            std::int64_t limit) {
  auto statement = prepare_cached(db, "SELECT " + std::string(kRecordColumns) +
                                          " FROM audit WHERE seq > ? ORDER BY seq LIMIT ?");
  auto& query = statement;
  query.bind(1, after);
  query.bind(2, limit);
  std::vector<AuditRecord> records;
  while (query.step()) records.push_back(record_from(query));
  return records;
}

}  // namespace jit::broker
