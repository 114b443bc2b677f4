// The durable event outbox, the one path of every event (docs/architecture.md, "Events"): an event
// is written in the transaction of the change it reports, so it exists exactly when the change
// committed, whichever process made it (a broker or an admin command). Each running broker's
// delivery worker (broker/workers/event_delivery.hpp) claims rows, sends them to every webhook URL,
// records each URL that accepted one, and marks the row delivered, or failed once its attempts are
// spent.
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

// Delivery claims (docs/architecture.md, "Events"): every broker's delivery worker takes the events
// it sends with a lease, so that brokers sharing one database send each event once. A claim names
// the claimant (broker_instance_id(), broker/broker_instance.hpp) and lasts until claimed_until;
// once that has passed, any worker may claim the event again (its claimant died or hangs).

// Whether claim_due_events at `now_us` would find anything (a read, so an idle poll writes
// nothing).
bool has_claimable_events(db::Connection& db, std::int64_t now_us);

// Claims for `claimant`, until `lease_until_us`, at most `limit` events that are undelivered, not
// failed, due (next_attempt_us passed) and not claimed (or their lease has passed), in one
// statement; returns them oldest first with the URLs that have them already. On PostgreSQL the
// rows are chosen FOR UPDATE SKIP LOCKED: claims of two brokers at once never wait for each other
// and never take the same row; run it on its own (autocommit), not inside a write batch. On SQLite
// run it as a write job (the write lock serialises claims). A row whose data does not parse (never
// written by this code) comes with empty data rather than stopping delivery.
std::vector<OutboxEvent> claim_due_events(db::Connection& db, std::string_view claimant,
                                          std::int64_t now_us, std::int64_t lease_until_us,
                                          std::size_t limit);

// Inside a write job: ends the claims of `claimant` (none: of everyone) on undelivered events, so
// they can be claimed again at once; returns how many.
std::size_t release_event_claims(db::Connection& db, std::optional<std::string_view> claimant);

// How one delivery round of an event ended, for finish_attempt.
struct AttemptResult {
  std::vector<std::string> accepted_by;  // url digests that answered 2xx this round
  bool all_delivered = false;            // every configured URL has it now
  std::int64_t next_attempt_us = 0;      // when not all delivered and attempts remain
  bool give_up = false;                  // attempts spent: mark failed
  std::string error;                     // why the last URL that refused did (no URL, no secret)
};

// Inside a write job: records the URLs that accepted the event (true whoever holds the claim now,
// so a later round skips them), then, only while `claimant` still holds the event's claim, marks it
// delivered, failed, or due again at next_attempt_us, counts the attempt and ends the claim.
// Returns false when the claim was lost (its lease passed and another worker claimed the event,
// or it was released): the row is then that worker's to record, and this round changes nothing
// else (no attempt counted, no failure recorded).
bool finish_attempt(db::Connection& db, std::int64_t seq, std::string_view claimant,
                    const AttemptResult& result, std::int64_t now);

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
