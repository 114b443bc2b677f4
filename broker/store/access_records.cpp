#include "broker/store/access_records.hpp"
#include "broker/store/access_columns.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/secure_random.hpp"
#include "broker/store/access_columns.hpp"
#include "ca/bytes.hpp"

#include <stdexcept>

namespace jit::broker {
namespace {

using approvals::GrantState;
using approvals::RequestState;

std::string random_id(std::string_view prefix) {
  auto bytes = approvals::random_bytes(16);
  // Without entropy nothing can be created safely; the store turns this into `internal`.
  if (!bytes) throw std::runtime_error("random number generator failed");
  return std::string(prefix) + ca::hex_encode(*bytes);
}

RequestState request_state(const std::string& text) {
  auto state = approvals::parse_request_state(text);
  // The schema's CHECK constraint admits only known states.
  if (!state) throw std::runtime_error("unknown request state in storage");
  return *state;
}

GrantState grant_state(const std::string& text) {
  auto state = approvals::parse_grant_state(text);
  if (!state) throw std::runtime_error("unknown grant state in storage");
  return *state;
}

RequestRow read_request(db::Statement& q) {
  RequestRow row;
  row.id = q.get_text(0);
  row.requester = q.get_text(1);
  row.role = q.get_text(2);
  row.reason = q.get_text(3);
  row.ticket = q.get_text(4);
  row.duration_s = q.get_int64(5);
  row.state = request_state(q.get_text(6));
  row.created_at = q.get_int64(7);
  row.pending_deadline = q.get_int64(8);
  row.breakglass = q.get_int(9) != 0;
  row.incident = q.is_null(10) ? "" : q.get_text(10);
  row.review_due_at = q.get_optional_int64(11);
  row.reviewed_at = q.get_optional_int64(12);
  row.reviewed_by = q.get_optional_text(13);
  return row;
}

GrantRow read_grant(db::Statement& q) {
  GrantRow row;
  row.id = q.get_text(0);
  row.request_id = q.get_text(1);
  row.user = q.get_text(2);
  row.role = q.get_text(3);
  row.not_before = q.get_int64(4);
  row.not_after = q.get_int64(5);
  row.state = grant_state(q.get_text(6));
  row.ended_at = q.get_optional_int64(7);
  row.end_reason = q.get_optional_text(8);
  row.breakglass = q.get_int(9) != 0;
  return row;
}

std::string select_requests(std::string_view where) {
  return "SELECT " + std::string(kRequestColumns) + " FROM requests " + std::string(where);
}

std::string select_grants(std::string_view where) {
  // Whether the grant came from break-glass is its request's: read along, for the entitlement
  // checks (approvals::still_entitled).
  return "SELECT " + std::string(kGrantColumns) +
         ", (SELECT r.breakglass FROM requests r WHERE r.id = grants.request_id) FROM grants " +
         std::string(where);
}

}  // namespace

std::string new_request_id() { return random_id("req-"); }
std::string new_grant_id() { return random_id("grt-"); }

approvals::RequestSnapshot to_snapshot(const RequestRow& request,
                                       const std::vector<ReviewRow>& reviews) {
  approvals::RequestSnapshot snapshot{request.id,
                                      request.requester,
                                      request.role,
                                      request.state,
                                      request.pending_deadline,
                                      request.breakglass,
                                      {}};
  for (const auto& review : reviews) snapshot.reviews.push_back({review.reviewer, review.decision});
  return snapshot;
}

approvals::GrantSnapshot to_snapshot(const GrantRow& grant) {
  return {grant.id,        grant.user,  grant.role,      grant.not_before,
          grant.not_after, grant.state, grant.breakglass};
}

std::optional<RequestRow> find_request(db::Connection& db, const std::string& id) {
  db::Statement q(db, select_requests("WHERE id = ?"));
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return read_request(q);
}

std::vector<ReviewRow> find_reviews(db::Connection& db, const std::string& request_id) {
  db::Statement q(db,
                  "SELECT reviewer, decision, comment, created_at, mfa_evidence FROM reviews "
                  "WHERE request_id = ? ORDER BY id");
  q.bind(1, request_id);
  std::vector<ReviewRow> reviews;
  while (q.step()) {
    ReviewRow row;
    row.reviewer = q.get_text(0);
    row.decision = q.get_text(1) == "deny" ? approvals::ReviewDecision::deny
                                           : approvals::ReviewDecision::approve;
    row.comment = q.get_text(2);
    row.created_at = q.get_int64(3);
    row.mfa_evidence = q.get_text(4);
    reviews.push_back(std::move(row));
  }
  return reviews;
}

std::optional<GrantRow> find_grant(db::Connection& db, const std::string& id) {
  auto statement = prepare_cached(db, select_grants("WHERE id = ?"));
  auto& q = statement;
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return read_grant(q);
}

std::optional<GrantRow> find_grant_for_request(db::Connection& db, const std::string& request_id) {
  db::Statement q(db, select_grants("WHERE request_id = ?"));
  q.bind(1, request_id);
  if (!q.step()) return std::nullopt;
  return read_grant(q);
}

// " AND (column = ? OR role IN (?, ?...))" for a party filter.
static std::string party_clause(std::string_view column, std::size_t roles) {
  std::string clause = " AND (" + std::string(column) + " = ?";
  if (roles > 0) {
    clause += " OR role IN (?";
    for (std::size_t i = 1; i < roles; ++i) clause += ",?";
    clause += ")";
  }
  return clause + ")";
}

static void bind_party(db::Statement& q, int& index, const std::string& party,
                       const std::vector<std::string>& roles) {
  q.bind(index++, party);
  for (const auto& role : roles) q.bind(index++, role);
}

static void bind_cursor(db::Statement& q, int& index, const PageCursor& cursor) {
  q.bind(index++, cursor.at);
  q.bind(index++, cursor.at);
  q.bind(index++, cursor.id);
}

std::vector<RequestRow> list_requests(db::Connection& db, const RequestFilter& filter) {
  std::string where = "WHERE 1 = 1";
  if (filter.state) where += " AND state = ?";
  if (filter.review_due_only) where += " AND breakglass = 1 AND reviewed_at IS NULL";
  if (filter.requester) where += party_clause("requester", filter.roles.size());
  if (filter.after) where += " AND (created_at < ? OR (created_at = ? AND id > ?))";
  where += " ORDER BY created_at DESC, id LIMIT ?";
  db::Statement q(db, select_requests(where));
  int index = 1;
  if (filter.state) q.bind(index++, std::string(approvals::to_string(*filter.state)));
  if (filter.requester) bind_party(q, index, *filter.requester, filter.roles);
  if (filter.after) bind_cursor(q, index, *filter.after);
  q.bind(index, static_cast<std::int64_t>(filter.limit));
  std::vector<RequestRow> rows;
  while (q.step()) rows.push_back(read_request(q));
  return rows;
}

std::vector<GrantRow> list_grants(db::Connection& db, const GrantFilter& filter) {
  std::string where = "WHERE 1 = 1";
  if (filter.user) where += party_clause("\"user\"", filter.roles.size());
  if (filter.state) where += " AND state = ?";
  if (filter.approved_by) {
    where +=
        " AND request_id IN (SELECT request_id FROM reviews WHERE reviewer = ? AND decision = "
        "'approve')";
  }
  if (filter.of_user) where += " AND \"user\" = ?";
  if (filter.of_role) where += " AND role = ?";
  if (filter.not_request) where += " AND request_id <> ?";
  if (filter.after) where += " AND (not_before < ? OR (not_before = ? AND id > ?))";
  where += " ORDER BY not_before DESC, id LIMIT ?";
  db::Statement q(db, select_grants(where));
  int index = 1;
  if (filter.user) bind_party(q, index, *filter.user, filter.roles);
  if (filter.state) q.bind(index++, std::string(approvals::to_string(*filter.state)));
  if (filter.approved_by) q.bind(index++, *filter.approved_by);
  if (filter.of_user) q.bind(index++, *filter.of_user);
  if (filter.of_role) q.bind(index++, *filter.of_role);
  if (filter.not_request) q.bind(index++, *filter.not_request);
  if (filter.after) bind_cursor(q, index, *filter.after);
  q.bind(index, static_cast<std::int64_t>(filter.limit));
  std::vector<GrantRow> rows;
  while (q.step()) rows.push_back(read_grant(q));
  return rows;
}

approvals::PendingCounts count_pending(db::Connection& db, const std::string& requester,
                                       const std::string& role, std::int64_t now) {
  db::Statement q(
      db,
      "SELECT coalesce(sum(CASE WHEN role = ? THEN 1 ELSE 0 END), 0), count(*) FROM requests "
      "WHERE requester = ? AND state = 'pending' AND pending_deadline > ?");
  q.bind(1, role);
  q.bind(2, requester);
  q.bind(3, now);
  q.step();
  return {static_cast<std::size_t>(q.get_int64(0)), static_cast<std::size_t>(q.get_int64(1))};
}

std::vector<GrantRow> grants_ended_by(db::Connection& db, std::int64_t now) {
  db::Statement q(db, select_grants("WHERE state = 'active' AND not_after <= ?"));
  q.bind(1, now);
  std::vector<GrantRow> rows;
  while (q.step()) rows.push_back(read_grant(q));
  return rows;
}

std::vector<RequestRow> requests_timed_out_by(db::Connection& db, std::int64_t now) {
  db::Statement q(db, select_requests("WHERE state = 'pending' AND pending_deadline <= ?"));
  q.bind(1, now);
  std::vector<RequestRow> rows;
  while (q.step()) rows.push_back(read_request(q));
  return rows;
}

std::optional<std::int64_t> next_deadline(db::Connection& db) {
  db::Statement q(
      db,
      "SELECT min(t) FROM ("
      " SELECT min(not_after) AS t FROM grants WHERE state = 'active'"
      " UNION ALL"
      " SELECT min(pending_deadline) FROM requests WHERE state = 'pending') AS deadlines");
  if (!q.step() || q.is_null(0)) return std::nullopt;
  return q.get_int64(0);
}

std::vector<approvals::PastBreakGlass> breakglass_history(db::Connection& db,
                                                          const std::string& requester,
                                                          std::int64_t since, std::int64_t now) {
  db::Statement q(
      db,
      "SELECT r.role, r.created_at, coalesce(g.state = 'active' AND g.not_after > ?, 0), "
      "coalesce(r.review_due_at, r.created_at), r.reviewed_at IS NOT NULL "
      "FROM requests r LEFT JOIN grants g ON g.request_id = r.id "
      "WHERE r.requester = ? AND r.breakglass = 1 AND (r.reviewed_at IS NULL OR r.created_at >= ?) "
      "ORDER BY r.created_at DESC LIMIT 1000");
  q.bind(1, now);
  q.bind(2, requester);
  q.bind(3, since);
  std::vector<approvals::PastBreakGlass> history;
  while (q.step()) {
    history.push_back(
        {q.get_text(0), q.get_int64(1), q.get_int(2) != 0, q.get_int64(3), q.get_int(4) != 0});
  }
  return history;
}

std::int64_t count_overdue_reviews(db::Connection& db, std::int64_t now) {
  db::Statement q(db,
                  "SELECT count(*) FROM requests WHERE breakglass = 1 AND reviewed_at IS NULL "
                  "AND review_due_at <= ?");
  q.bind(1, now);
  q.step();
  return q.get_int64(0);
}

}  // namespace jit::broker
