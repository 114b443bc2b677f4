#include "broker/store/audit_chain.hpp"

#include "broker/store/statement_cache.hpp"
#include "ca/bytes.hpp"

#include <SQLiteCpp/Statement.h>
#include <openssl/sha.h>

#include <array>

namespace jit::broker {

const std::string kAuditGenesisHash(64, '0');

std::string audit_record_hash(const AuditRecord& record) {
  // Fixed tag, then every field length-prefixed: no two different records encode alike.
  ca::ByteWriter encoding;
  encoding.string(std::string_view("jit-audit-v1"));
  encoding.u64(static_cast<std::uint64_t>(record.seq));
  encoding.u64(static_cast<std::uint64_t>(record.time_us));
  encoding.string(record.actor);
  encoding.string(record.action);
  encoding.string(record.object);
  encoding.string(record.details);
  encoding.string(record.prev_hash);
  std::array<std::byte, SHA256_DIGEST_LENGTH> digest{};
  SHA256(ca::as_uchars(encoding.bytes()), encoding.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return ca::hex_encode(digest);
}

AuditHead load_audit_head(SQLite::Database& db) {
  auto statement = prepare_cached(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
  auto& query = *statement;
  AuditHead head;
  if (query.executeStep()) {
    head.seq = query.getColumn(0).getInt64();
    head.hash = query.getColumn(1).getString();
  }
  return head;
}

AuditRecord append_audit(SQLite::Database& db, AuditHead& head, const AuditEntry& entry,
                         std::int64_t time_us) {
  AuditRecord record{head.seq + 1, time_us,
                     entry.actor,  entry.action,
                     entry.object, entry.details.empty() ? "{}" : entry.details,
                     head.hash,    {}};
  record.hash = audit_record_hash(record);
  auto statement = prepare_cached(db,
                                  "INSERT INTO audit(seq, time_us, actor, action, object, details, "
                                  "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  auto& insert = *statement;
  insert.bind(1, record.seq);
  insert.bind(2, record.time_us);
  insert.bind(3, record.actor);
  insert.bind(4, record.action);
  insert.bind(5, record.object);
  insert.bind(6, record.details);
  insert.bind(7, record.prev_hash);
  insert.bind(8, record.hash);
  insert.exec();
  head.seq = record.seq;
  head.hash = record.hash;
  return record;
}

AuditVerification verify_audit_chain(SQLite::Database& db) {
  AuditVerification result;
  SQLite::Statement query(db,
                          "SELECT seq, time_us, actor, action, object, details, prev_hash, hash "
                          "FROM audit ORDER BY seq");
  std::int64_t expected_seq = 1;
  std::string expected_prev = kAuditGenesisHash;
  const auto fail = [&result](std::int64_t seq, std::string problem) {
    result.ok = false;
    result.first_bad_seq = seq;
    result.problem = std::move(problem);
  };
  while (query.executeStep()) {
    AuditRecord record{query.getColumn(0).getInt64(),  query.getColumn(1).getInt64(),
                       query.getColumn(2).getString(), query.getColumn(3).getString(),
                       query.getColumn(4).getString(), query.getColumn(5).getString(),
                       query.getColumn(6).getString(), query.getColumn(7).getString()};
    if (record.seq != expected_seq) {
      fail(record.seq, "sequence gap: expected record " + std::to_string(expected_seq) +
                           " (a record was deleted)");
      return result;
    }
    if (record.prev_hash != expected_prev) {
      fail(record.seq, "previous-hash link broken (records deleted or reordered)");
      return result;
    }
    if (audit_record_hash(record) != record.hash) {
      fail(record.seq, "hash does not match the record's content (record edited)");
      return result;
    }
    ++result.records;
    expected_prev = record.hash;
    ++expected_seq;
  }
  result.head_hash = expected_prev;
  return result;
}

}  // namespace jit::broker
