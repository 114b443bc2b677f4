#include "broker/store/event_outbox.hpp"

#include <SQLiteCpp/Statement.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace jit::broker {

void enqueue_event(SQLite::Database& db, std::string_view event, const boost::json::object& data,
                   std::int64_t now) {
  SQLite::Statement insert(db,
                           "INSERT INTO event_outbox(event, data, created_at) VALUES (?, ?, ?)");
  insert.bind(1, std::string(event));
  insert.bind(2, boost::json::serialize(data));
  insert.bind(3, now);
  insert.exec();
}

std::vector<OutboxEvent> undelivered_events(SQLite::Database& db, std::int64_t after_seq,
                                            std::size_t limit) {
  // A range search of the partial index: the cost follows the undelivered rows only.
  SQLite::Statement query(db,
                          "SELECT seq, event, data, created_at FROM event_outbox "
                          "WHERE delivered_at IS NULL AND seq > ? ORDER BY seq LIMIT ?");
  query.bind(1, after_seq);
  query.bind(2, static_cast<std::int64_t>(limit));
  std::vector<OutboxEvent> out;
  while (query.executeStep()) {
    OutboxEvent row;
    row.seq = query.getColumn(0).getInt64();
    row.event = query.getColumn(1).getString();
    boost::system::error_code ec;
    auto data = boost::json::parse(query.getColumn(2).getString(), ec);
    if (!ec && data.is_object()) row.data = std::move(data.as_object());
    row.created_at = query.getColumn(3).getInt64();
    out.push_back(std::move(row));
  }
  return out;
}

void mark_event_delivered(SQLite::Database& db, std::int64_t seq, std::int64_t now) {
  SQLite::Statement update(db,
                           "UPDATE event_outbox SET delivered_at = ? WHERE seq = ? AND "
                           "delivered_at IS NULL");
  update.bind(1, now);
  update.bind(2, seq);
  update.exec();
}

}  // namespace jit::broker
