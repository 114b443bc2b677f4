// The durable event outbox, the one path of every event (docs/architecture.md, "Events"): an event
// is written in the transaction of the change it reports, so it exists exactly when the change
// committed, whichever process made it (the broker or an admin command). The running broker's
// delivery worker (broker/workers/event_delivery.hpp) sends the rows to every webhook URL, records
// each URL that accepted one, and marks the row delivered, or failed once its attempts are spent.
#pragma once

#include <boost/json/object.hpp>
#include "broker/store/db/db_connection.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::broker {

struct OutboxEvent {
  std::int64_t seq = 0;
  std::string id;  // "evt-" and 32 hex digits: stable across retries, for receivers to deduplicate
  std::string event;
  boost::json::object data;
  std::int64_t created_at = 0;  // Unix seconds
  int attempts = 0;
  std::optional<std::int64_t> delivered_at;
  std::optional<std::int64_t> failed_at;
  std::string last_error;
  std::vector<std::string> delivered_to;  // url digests (event_url_digest) that accepted it
};

// Inside a write job: adds the event, due at once. Returns its id.
std::string enqueue_event(db::Connection& db, std::string_view event,
                          const boost::json::object& data, std::int64_t now);

// The undelivered, not failed events whose next attempt is due at `now_us`, oldest first, at most
// `limit`, skipping seq values in `skip` (those in flight). A row whose data does not parse (never
// written by this code) comes with empty data rather than stopping delivery.
std::vector<OutboxEvent> due_events(db::Connection& db, std::int64_t now_us,
                                    const std::vector<std::int64_t>& skip, std::size_t limit);

// How one delivery round of an event ended, for finish_attempt.
struct AttemptResult {
  std::vector<std::string> accepted_by;  // url digests that answered 2xx this round
  bool all_delivered = false;            // every configured URL has it now
  std::int64_t next_attempt_us = 0;      // when not all delivered and attempts remain
  bool give_up = false;                  // attempts spent: mark failed
  std::string error;                     // why the last URL that refused did (no URL, no secret)
};

// Inside a write job: records the URLs that accepted the event, then marks it delivered, failed,
// or due again at next_attempt_us. Counts the attempt.
void finish_attempt(db::Connection& db, std::int64_t seq, const AttemptResult& result,
                    std::int64_t now);

// For `jit-broker events list`: the newest `limit` events, newest first; with `failed_only` only
// those marked failed and not delivered since.
std::vector<OutboxEvent> list_events(db::Connection& db, bool failed_only, std::size_t limit);

// Inside a write job: makes a failed event due again with fresh attempts. False when no failed,
// undelivered event has that id.
bool retry_event(db::Connection& db, std::string_view id);
// Inside a write job: retry_event for every failed event; returns how many.
std::size_t retry_failed_events(db::Connection& db);

// Inside a write job: deletes at most `limit` events delivered to every URL before
// `delivered_before` (Unix seconds), with their delivery records; returns how many. Undelivered
// and failed events are never deleted, and neither is the newest row, so `seq` keeps growing
// (SQLite would reuse the highest seq once it is gone). The audit log keeps every event for good.
std::size_t prune_delivered_events(db::Connection& db, std::int64_t delivered_before,
                                   std::size_t limit);

struct OutboxBacklog {
  std::int64_t undelivered = 0;                   // pending and failed
  std::int64_t failed = 0;                        // of those, failed
  std::optional<std::int64_t> oldest_created_at;  // of the undelivered
};
OutboxBacklog outbox_backlog(db::Connection& db);

// The key a delivery to `url` is recorded under: hex SHA-256 of the URL (its path may carry a
// token, which never goes into the database).
std::string event_url_digest(std::string_view url);

}  // namespace jit::broker
