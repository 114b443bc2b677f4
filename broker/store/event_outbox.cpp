#include "broker/store/event_outbox.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/secure_random.hpp"
#include "ca/bytes.hpp"
#include "ca/x509_digest.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <stdexcept>

namespace jit::broker {
namespace {

constexpr const char* kOutboxColumns =
    "seq, event_id, event, data, created_at, attempts, delivered_at, failed_at, last_error";

OutboxEvent read_outbox_row(db::Statement& query) {
  OutboxEvent row;
  row.seq = query.get_int64(0);
  row.id = query.get_text(1);
  row.event = query.get_text(2);
  boost::system::error_code ec;
  auto data = boost::json::parse(query.get_text(3), ec);
  if (!ec && data.is_object()) row.data = std::move(data.as_object());
  row.created_at = query.get_int64(4);
  row.attempts = query.get_int(5);
  row.delivered_at = query.get_optional_int64(6);
  row.failed_at = query.get_optional_int64(7);
  row.last_error = query.get_optional_text(8).value_or("");
  return row;
}

void load_outbox_deliveries(db::Connection& db, std::vector<OutboxEvent>& rows) {
  db::Statement query(db, "SELECT url_digest FROM event_deliveries WHERE seq = ?");
  for (auto& row : rows) {
    query.reset();
    query.bind(1, row.seq);
    while (query.step()) row.delivered_to.push_back(query.get_text(0));
  }
}

}  // namespace

std::string enqueue_event(db::Connection& db, std::string_view event,
                          const boost::json::object& data, std::int64_t now) {
  auto bytes = approvals::random_bytes(16);
  // Without entropy no id is unique; the store turns this into `internal` and rolls back.
  if (!bytes) throw std::runtime_error("random number generator failed");
  std::string id = "evt-" + ca::hex_encode(*bytes);
  db::Statement insert(db,
                       "INSERT INTO event_outbox(event_id, event, data, created_at) "
                       "VALUES (?, ?, ?, ?)");
  insert.bind(1, id);
  insert.bind(2, std::string(event));
  insert.bind(3, boost::json::serialize(data));
  insert.bind(4, now);
  insert.exec();
  return id;
}

namespace {

// Undelivered, not failed, due, and not claimed or its lease passed (?1: now in microseconds). A
// range search of the partial index on undelivered rows: the cost follows the backlog only.
constexpr const char* kClaimable =
    "delivered_at IS NULL AND failed_at IS NULL AND next_attempt_us <= ?1 AND claimed_until <= ?1";

}  // namespace

bool has_claimable_events(db::Connection& db, std::int64_t now_us) {
  auto query = db::prepare_cached(
      db, std::string("SELECT 1 FROM event_outbox WHERE ") + kClaimable + " ORDER BY seq LIMIT 1");
  query.bind(1, now_us);
  return query.step();
}

std::vector<OutboxEvent> claim_due_events(db::Connection& db, std::string_view claimant,
                                          std::int64_t now_us, std::int64_t lease_until_us,
                                          std::size_t limit) {
  // PostgreSQL: the inner SELECT locks the rows it picks and skips rows another transaction has
  // locked (another broker's claim in progress, a write batch finishing a round), so concurrent
  // claims take disjoint rows without waiting. SQLite has one writer at a time: no lock clause.
  const bool postgresql = db.backend() == db::Backend::postgresql;
  auto claim = db::prepare_cached(
      db, std::string("UPDATE event_outbox SET claimed_by = ?2, claimed_until = ?3 WHERE seq IN "
                      "(SELECT seq FROM event_outbox WHERE ") +
              kClaimable + " ORDER BY seq LIMIT ?4" +
              (postgresql ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING " + kOutboxColumns);
  claim.bind(1, now_us);
  claim.bind(2, claimant);
  claim.bind(3, lease_until_us);
  claim.bind(4, static_cast<std::int64_t>(limit));
  std::vector<OutboxEvent> out;
  while (claim.step()) out.push_back(read_outbox_row(claim));
  // RETURNING comes in no particular order.
  std::sort(out.begin(), out.end(),
            [](const OutboxEvent& a, const OutboxEvent& b) { return a.seq < b.seq; });
  load_outbox_deliveries(db, out);
  return out;
}

std::size_t release_event_claims(db::Connection& db, std::optional<std::string_view> claimant) {
  db::Statement release(db, std::string("UPDATE event_outbox SET claimed_by = NULL, "
                                        "claimed_until = 0 WHERE delivered_at IS NULL AND ") +
                                (claimant ? "claimed_by = ?" : "claimed_by IS NOT NULL"));
  if (claimant) release.bind(1, *claimant);
  return static_cast<std::size_t>(release.exec());
}

bool finish_attempt(db::Connection& db, std::int64_t seq, std::string_view claimant,
                    const AttemptResult& result, std::int64_t now) {
  db::Statement record(db,
                       "INSERT INTO event_deliveries(seq, url_digest, delivered_at) "
                       "VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
  for (const auto& digest : result.accepted_by) {
    record.reset();
    record.bind(1, seq);
    record.bind(2, digest);
    record.bind(3, now);
    record.exec();
  }
  // Only the claim's holder records the round: a worker whose lease passed while it was sending
  // must not overwrite what the worker that claimed the event since then records.
  db::Statement update(
      db,
      "UPDATE event_outbox SET attempts = attempts + 1, delivered_at = ?, "
      "failed_at = ?, next_attempt_us = ?, last_error = ?, claimed_by = NULL, "
      "claimed_until = 0 WHERE seq = ? AND delivered_at IS NULL AND claimed_by = ?");
  if (result.all_delivered) {
    update.bind(1, now);
  } else {
    update.bind_null(1);
  }
  if (!result.all_delivered && result.give_up) {
    update.bind(2, now);
  } else {
    update.bind_null(2);
  }
  update.bind(3, result.next_attempt_us);
  if (result.error.empty()) {
    update.bind_null(4);
  } else {
    update.bind(4, result.error);
  }
  update.bind(5, seq);
  update.bind(6, claimant);
  return update.exec() == 1;
}

std::vector<OutboxEvent> list_events(db::Connection& db, bool failed_only, std::size_t limit) {
  db::Statement query(
      db, std::string("SELECT ") + kOutboxColumns + " FROM event_outbox" +
              (failed_only ? " WHERE failed_at IS NOT NULL AND delivered_at IS NULL" : "") +
              " ORDER BY seq DESC LIMIT ?");
  query.bind(1, static_cast<std::int64_t>(limit));
  std::vector<OutboxEvent> out;
  while (query.step()) out.push_back(read_outbox_row(query));
  load_outbox_deliveries(db, out);
  return out;
}

bool retry_event(db::Connection& db, std::string_view id) {
  db::Statement update(db,
                       "UPDATE event_outbox SET failed_at = NULL, attempts = 0, "
                       "next_attempt_us = 0 WHERE event_id = ? AND failed_at IS NOT NULL "
                       "AND delivered_at IS NULL");
  update.bind(1, std::string(id));
  return update.exec() == 1;
}

std::size_t retry_failed_events(db::Connection& db) {
  return static_cast<std::size_t>(
      db::Statement(db,
                    "UPDATE event_outbox SET failed_at = NULL, attempts = 0, next_attempt_us = 0 "
                    "WHERE failed_at IS NOT NULL AND delivered_at IS NULL")
          .exec());
}

std::size_t prune_delivered_events(db::Connection& db, std::int64_t delivered_before,
                                   std::size_t limit) {
  // event_deliveries rows go with their event (ON DELETE CASCADE; foreign keys are on).
  db::Statement prune(db,
                      "DELETE FROM event_outbox WHERE seq IN (SELECT seq FROM event_outbox "
                      "WHERE delivered_at IS NOT NULL AND delivered_at < ? "
                      "AND seq < (SELECT MAX(seq) FROM event_outbox) ORDER BY seq LIMIT ?)");
  prune.bind(1, delivered_before);
  prune.bind(2, static_cast<std::int64_t>(limit));
  return static_cast<std::size_t>(prune.exec());
}

OutboxBacklog outbox_backlog(db::Connection& db) {
  db::Statement query(db,
                      "SELECT count(*), count(failed_at), min(created_at) FROM event_outbox "
                      "WHERE delivered_at IS NULL");
  query.step();
  return {query.get_int64(0), query.get_int64(1), query.get_optional_int64(2)};
}

std::string event_url_digest(std::string_view url) {
  auto digest = ca::compute_digest(ca::DigestKind::sha256, ca::as_bytes(url));
  if (!digest) throw std::runtime_error("SHA-256 is not available");
  return ca::hex_encode(*digest);
}

}  // namespace jit::broker
