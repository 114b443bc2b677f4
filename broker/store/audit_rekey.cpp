#include "broker/store/audit_rekey.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/digest.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>
#include <vector>

namespace jit::broker {
namespace {

// The record hash of schema versions 1 to 5: plain SHA-256, tag "jit-audit-v1". Used only here, to
// state whether the old chain was intact before it is re-keyed.
std::string plain_record_hash(const AuditRecord& record) {
  auto digest = approvals::sha256(audit_record_encoding("jit-audit-v1", record));
  if (!digest) throw std::runtime_error("SHA-256 failed");
  return ca::hex_encode(*digest);
}

}  // namespace

void rekey_audit_chain(db::Connection& db, const AuditChainKey& key, std::int64_t now_us) {
  lock_audit_chain(db);  // no broker appends while the chain is rewritten
  std::vector<AuditRecord> records;
  {
    db::Statement query(db,
                        "SELECT seq, time_us, actor, action, object, details, prev_hash, hash "
                        "FROM audit ORDER BY seq");
    while (query.step()) {
      records.push_back({query.get_int64(0), query.get_int64(1), query.get_text(2),
                         query.get_text(3), query.get_text(4), query.get_text(5), query.get_text(6),
                         query.get_text(7)});
    }
  }
  if (records.empty()) return;  // a new database: nothing to re-key, nothing to state
  // The old chain as it stands, checked the way `audit verify` checked it before version 6.
  boost::json::object legacy{{"records", records.size()}};
  std::string expected_prev = kAuditGenesisHash;
  std::int64_t expected_seq = 1;
  for (const auto& record : records) {
    if (record.seq != expected_seq || record.prev_hash != expected_prev ||
        plain_record_hash(record) != record.hash) {
      legacy["first_bad_seq"] = record.seq;
      break;
    }
    expected_prev = record.hash;
    ++expected_seq;
  }
  legacy["intact"] = !legacy.contains("first_bad_seq");
  legacy["head"] = records.empty() ? kAuditGenesisHash : records.back().hash;

  db::Statement update(db, "UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?");
  AuditHead head;
  for (auto& record : records) {
    record.prev_hash = head.hash;
    record.hash = audit_record_hash(key, record);
    update.bind(1, record.prev_hash);
    update.bind(2, record.hash);
    update.bind(3, record.seq);
    update.exec();
    update.reset();
    head.seq = record.seq;
    head.hash = record.hash;
  }
  boost::json::object details{{"schema_version", 6}, {"legacy_chain", std::move(legacy)}};
  append_audit(db, key, head, {"system", "audit.rekey", "audit", boost::json::serialize(details)},
               now_us);
}

}  // namespace jit::broker
