// The writes of access_records.hpp: requests, reviews, grants, certificates and the counters, each
// inside the caller's transaction (Store::write). The reads are in access_records.cpp.
#include "broker/store/access_columns.hpp"
#include "broker/store/access_records.hpp"
#include "broker/store/db/db_connection.hpp"

#include <stdexcept>

namespace jit::broker {

using approvals::GrantState;
using approvals::RequestState;

void insert_request(db::Connection& db, const RequestRow& r) {
  db::Statement q(db, "INSERT INTO requests(" + std::string(kRequestColumns) +
                          ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  q.bind(1, r.id);
  q.bind(2, r.requester);
  q.bind(3, r.role);
  q.bind(4, r.reason);
  q.bind(5, r.ticket);
  q.bind(6, r.duration_s);
  q.bind(7, std::string(approvals::to_string(r.state)));
  q.bind(8, r.created_at);
  q.bind(9, r.pending_deadline);
  q.bind(10, r.breakglass ? 1 : 0);
  if (r.breakglass) {
    q.bind(11, r.incident);
  } else {
    q.bind_null(11);
  }
  q.bind(12, r.review_due_at);
  q.bind(13, r.reviewed_at);
  q.bind(14, r.reviewed_by);
  q.exec();
}

void insert_review(db::Connection& db, const std::string& request_id, const ReviewRow& review) {
  db::Statement q(db,
                  "INSERT INTO reviews(request_id, reviewer, decision, comment, created_at, "
                  "mfa_evidence) VALUES (?,?,?,?,?,?)");
  q.bind(1, request_id);
  q.bind(2, review.reviewer);
  q.bind(3, std::string(approvals::to_string(review.decision)));
  q.bind(4, review.comment);
  q.bind(5, review.created_at);
  q.bind(6, review.mfa_evidence);
  q.exec();
}

void set_request_state(db::Connection& db, const std::string& id, RequestState state) {
  db::Statement q(db, "UPDATE requests SET state = ? WHERE id = ?");
  q.bind(1, std::string(approvals::to_string(state)));
  q.bind(2, id);
  q.exec();
}

void mark_reviewed(db::Connection& db, const std::string& id, const std::string& reviewer,
                   std::int64_t now) {
  db::Statement q(db, "UPDATE requests SET reviewed_at = ?, reviewed_by = ? WHERE id = ?");
  q.bind(1, now);
  q.bind(2, reviewer);
  q.bind(3, id);
  q.exec();
}

void insert_grant(db::Connection& db, const GrantRow& g) {
  db::Statement q(
      db, "INSERT INTO grants(" + std::string(kGrantColumns) + ") VALUES (?,?,?,?,?,?,?,?,?)");
  q.bind(1, g.id);
  q.bind(2, g.request_id);
  q.bind(3, g.user);
  q.bind(4, g.role);
  q.bind(5, g.not_before);
  q.bind(6, g.not_after);
  q.bind(7, std::string(approvals::to_string(g.state)));
  q.bind(8, g.ended_at);
  q.bind(9, g.end_reason);
  q.exec();
}

int end_grant(db::Connection& db, const std::string& grant_id, GrantState state, std::int64_t now,
              const std::string& reason) {
  db::Statement grant(db,
                      "UPDATE grants SET state = ?, ended_at = ?, end_reason = ? "
                      "WHERE id = ? AND state = 'active' RETURNING request_id");
  grant.bind(1, std::string(approvals::to_string(state)));
  grant.bind(2, now);
  grant.bind(3, reason);
  grant.bind(4, grant_id);
  if (!grant.step()) return 0;
  const std::string request_id = grant.get_text(0);
  grant.reset();
  set_request_state(db, request_id,
                    state == GrantState::revoked ? RequestState::revoked : RequestState::expired);
  if (state != GrantState::revoked) return 0;
  db::Statement certificates(db,
                             "UPDATE certificates SET revoked_at = ? WHERE grant_id = ? AND "
                             "revoked_at IS NULL AND not_after > ?");
  certificates.bind(1, now);
  certificates.bind(2, grant_id);
  certificates.bind(3, now);
  const int stamped = certificates.exec();
  if (stamped > 0) bump_revocation_generation(db);
  return stamped;
}

void insert_certificate(db::Connection& db, const CertificateRow& c) {
  auto statement = prepare_cached(db,
                                  "INSERT INTO certificates(kind, serial, grant_id, ca_key, "
                                  "key_fingerprint, key_id, not_after, issued_at) "
                                  "VALUES (?,?,?,?,?,?,?,?)");
  auto& q = statement;
  q.bind(1, c.kind);
  q.bind(2, c.serial);
  q.bind(3, c.grant_id);
  q.bind(4, c.ca_key);
  q.bind(5, c.key_fingerprint);
  q.bind(6, c.key_id);
  q.bind(7, c.not_after);
  q.bind(8, c.issued_at);
  q.exec_deferred();  // a duplicate serial still fails the job, before anything is answered
}

std::int64_t reserve_counter(db::Connection& db, const std::string& name, std::int64_t count) {
  auto statement =
      prepare_cached(db, "UPDATE counters SET value = value + ? WHERE name = ? RETURNING value");
  auto& q = statement;
  q.bind(1, count);
  q.bind(2, name);
  if (!q.step()) throw std::runtime_error("missing counter " + name);
  return q.get_int64(0) - count + 1;
}

void raise_counter(db::Connection& db, const std::string& name, std::int64_t at_least) {
  auto statement = prepare_cached(
      db,
      "UPDATE counters SET value = CASE WHEN value < ?1 THEN ?1 ELSE value END WHERE name = ?2");
  statement.bind(1, at_least);
  statement.bind(2, name);
  if (statement.exec() != 1) throw std::runtime_error("missing counter " + name);
}

std::int64_t stored_counter(db::Connection& db, const std::string& name) {
  db::Statement query(db, "SELECT value FROM counters WHERE name = ?");
  query.bind(1, name);
  if (!query.step()) throw std::runtime_error("missing counter " + name);
  return query.get_int64(0);
}

void bump_revocation_generation(db::Connection& db) {
  auto statement = prepare_cached(
      db, "UPDATE counters SET value = value + 1 WHERE name = 'revocation_generation'");
  if (statement.exec() != 1) throw std::runtime_error("missing counter revocation_generation");
  if (db.backend() != db::Backend::postgresql) return;
  auto notify = prepare_cached(db,
                               "SELECT pg_notify(?, CAST(value AS TEXT)) FROM counters "
                               "WHERE name = 'revocation_generation'");
  notify.bind(1, kRevocationChannel);
  notify.step();
}

std::int64_t revocation_generation(db::Connection& db) {
  db::Statement query(db, "SELECT value FROM counters WHERE name = 'revocation_generation'");
  if (!query.step()) throw std::runtime_error("missing counter revocation_generation");
  return query.get_int64(0);
}
}  // namespace jit::broker
