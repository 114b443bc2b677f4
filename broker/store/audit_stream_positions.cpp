#include "broker/store/audit_stream_positions.hpp"
#include "broker/store/db/db_connection.hpp"

namespace jit::broker {

std::int64_t audit_stream_position(db::Connection& db, const std::string& sink) {
  auto statement = prepare_cached(db, "SELECT last_seq FROM audit_stream_positions WHERE sink = ?");
  auto& query = statement;
  query.bind(1, sink);
  return query.step() ? query.get_int64(0) : 0;
}

void save_audit_stream_position(db::Connection& db, const std::string& sink, std::int64_t last_seq,
                                std::int64_t now_seconds) {
  auto statement = prepare_cached(
      db,
      "INSERT INTO audit_stream_positions(sink, last_seq, updated_at) VALUES (?, ?, ?) "
      "ON CONFLICT(sink) DO UPDATE SET last_seq = CASE WHEN excluded.last_seq > "
      "audit_stream_positions.last_seq THEN excluded.last_seq ELSE audit_stream_positions.last_seq "
      "END, "
      "updated_at = excluded.updated_at");
  auto& upsert = statement;
  upsert.bind(1, sink);
  upsert.bind(2, last_seq);
  upsert.bind(3, now_seconds);
  upsert.exec();
}

std::int64_t audit_head_seq(db::Connection& db) {
  auto statement = prepare_cached(db, "SELECT coalesce(max(seq), 0) FROM audit");
  auto& query = statement;
  return query.step() ? query.get_int64(0) : 0;
}

}  // namespace jit::broker
