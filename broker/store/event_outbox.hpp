// The durable event outbox: an event is written in the transaction of the change it reports, so it
// exists exactly when the change committed, whichever process made it; the running broker delivers
// the rows (webhooks) and marks them delivered. Today the admin commands write here; the broker's
// own events may follow the same path.
#pragma once

#include <SQLiteCpp/Database.h>
#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jit::broker {

struct OutboxEvent {
  std::int64_t seq = 0;
  std::string event;
  boost::json::object data;
  std::int64_t created_at = 0;  // Unix seconds
};

// Inside a write job.
void enqueue_event(SQLite::Database& db, std::string_view event, const boost::json::object& data,
                   std::int64_t now);
// The oldest undelivered events with seq > after_seq, at most `limit`. A row whose data does not
// parse (never written by this code) comes with empty data rather than stopping delivery.
std::vector<OutboxEvent> undelivered_events(SQLite::Database& db, std::int64_t after_seq,
                                            std::size_t limit);
// Inside a write job.
void mark_event_delivered(SQLite::Database& db, std::int64_t seq, std::int64_t now);

}  // namespace jit::broker
