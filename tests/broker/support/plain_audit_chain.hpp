// The audit chain as schema versions 1 to 5 wrote it, and as an attacker without the data key can
// compute it: plain SHA-256 over the published record encoding (tag "jit-audit-v1"). Written out
// here independently of the broker, for the tampering and migration tests.
#pragma once

#include "ca/bytes.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <openssl/sha.h>

#include <array>
#include <string>
#include <vector>

namespace jit::testing {

struct PlainAuditRow {
  std::int64_t time_us = 0;
  std::string actor, action, object, details;
};

inline std::string plain_record_hash(std::int64_t seq, const PlainAuditRow& row,
                                     const std::string& prev_hash) {
  ca::ByteWriter encoding;
  encoding.string(std::string_view("jit-audit-v1"));
  encoding.u64(static_cast<std::uint64_t>(seq));
  encoding.u64(static_cast<std::uint64_t>(row.time_us));
  encoding.string(row.actor);
  encoding.string(row.action);
  encoding.string(row.object);
  encoding.string(row.details);
  encoding.string(prev_hash);
  std::array<std::byte, SHA256_DIGEST_LENGTH> digest{};
  SHA256(ca::as_uchars(encoding.bytes()), encoding.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return ca::hex_encode(digest);
}

// Replaces the whole audit table with `rows`, numbered 1..n and chained with plain hashes. Returns
// the head hash.
inline std::string write_plain_chain(SQLite::Database& db, const std::vector<PlainAuditRow>& rows) {
  SQLite::Transaction transaction(db);
  db.exec("DELETE FROM audit");
  std::string prev(64, '0');
  std::int64_t seq = 0;
  for (const auto& row : rows) {
    ++seq;
    const auto hash = plain_record_hash(seq, row, prev);
    SQLite::Statement insert(db,
                             "INSERT INTO audit(seq, time_us, actor, action, object, details, "
                             "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, seq);
    insert.bind(2, row.time_us);
    insert.bind(3, row.actor);
    insert.bind(4, row.action);
    insert.bind(5, row.object);
    insert.bind(6, row.details);
    insert.bind(7, prev);
    insert.bind(8, hash);
    insert.exec();
    prev = hash;
  }
  transaction.commit();
  return prev;
}

// The audit rows in seq order, without their hashes.
inline std::vector<PlainAuditRow> read_audit_rows(SQLite::Database& db) {
  std::vector<PlainAuditRow> rows;
  SQLite::Statement read(db,
                         "SELECT time_us, actor, action, object, details FROM audit ORDER BY seq");
  while (read.executeStep()) {
    rows.push_back({read.getColumn(0).getInt64(), read.getColumn(1).getString(),
                    read.getColumn(2).getString(), read.getColumn(3).getString(),
                    read.getColumn(4).getString()});
  }
  return rows;
}

}  // namespace jit::testing
