#include "broker/store/access_records.hpp"
#include "broker/store/access_columns.hpp"

#include "approvals/secure_random.hpp"
#include "broker/store/access_columns.hpp"
#include "broker/store/statement_cache.hpp"
#include "ca/bytes.hpp"

#include <SQLiteCpp/Statement.h>

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

std::optional<std::int64_t> optional_int(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getInt64();
}

std::optional<std::string> optional_text(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getString();
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

RequestRow read_request(SQLite::Statement& q) {
  RequestRow row;
  row.id = q.getColumn(0).getString();
  row.requester = q.getColumn(1).getString();
  row.role = q.getColumn(2).getString();
  row.reason = q.getColumn(3).getString();
  row.ticket = q.getColumn(4).getString();
  row.duration_s = q.getColumn(5).getInt64();
  row.state = request_state(q.getColumn(6).getString());
  row.created_at = q.getColumn(7).getInt64();
  row.pending_deadline = q.getColumn(8).getInt64();
  row.breakglass = q.getColumn(9).getInt() != 0;
  row.incident = q.getColumn(10).isNull() ? "" : q.getColumn(10).getString();
  row.review_due_at = optional_int(q.getColumn(11));
  row.reviewed_at = optional_int(q.getColumn(12));
  row.reviewed_by = optional_text(q.getColumn(13));
  return row;
}

GrantRow read_grant(SQLite::Statement& q) {
  GrantRow row;
  row.id = q.getColumn(0).getString();
  row.request_id = q.getColumn(1).getString();
  row.user = q.getColumn(2).getString();
  row.role = q.getColumn(3).getString();
  row.not_before = q.getColumn(4).getInt64();
  row.not_after = q.getColumn(5).getInt64();
  row.state = grant_state(q.getColumn(6).getString());
  row.ended_at = optional_int(q.getColumn(7));
  row.end_reason = optional_text(q.getColumn(8));
  row.breakglass = q.getColumn(9).getInt() != 0;
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

std::optional<RequestRow> find_request(SQLite::Database& db, const std::string& id) {
  SQLite::Statement q(db, select_requests("WHERE id = ?"));
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return read_request(q);
}

std::vector<ReviewRow> find_reviews(SQLite::Database& db, const std::string& request_id) {
  SQLite::Statement q(db,
                      "SELECT reviewer, decision, comment, created_at, mfa_evidence FROM reviews "
                      "WHERE request_id = ? ORDER BY id");
  q.bind(1, request_id);
  std::vector<ReviewRow> reviews;
  while (q.executeStep()) {
    ReviewRow row;
    row.reviewer = q.getColumn(0).getString();
    row.decision = q.getColumn(1).getString() == "deny" ? approvals::ReviewDecision::deny
                                                        : approvals::ReviewDecision::approve;
    row.comment = q.getColumn(2).getString();
    row.created_at = q.getColumn(3).getInt64();
    row.mfa_evidence = q.getColumn(4).getString();
    reviews.push_back(std::move(row));
  }
  return reviews;
}

std::optional<GrantRow> find_grant(SQLite::Database& db, const std::string& id) {
  auto statement = prepare_cached(db, select_grants("WHERE id = ?"));
  auto& q = *statement;
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return read_grant(q);
}

std::optional<GrantRow> find_grant_for_request(SQLite::Database& db,
                                               const std::string& request_id) {
  SQLite::Statement q(db, select_grants("WHERE request_id = ?"));
  q.bind(1, request_id);
  if (!q.executeStep()) return std::nullopt;
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

static void bind_party(SQLite::Statement& q, int& index, const std::string& party,
                       const std::vector<std::string>& roles) {
  q.bind(index++, party);
  for (const auto& role : roles) q.bind(index++, role);
}

static void bind_cursor(SQLite::Statement& q, int& index, const PageCursor& cursor) {
  q.bind(index++, cursor.at);
  q.bind(index++, cursor.at);
  q.bind(index++, cursor.id);
}

std::vector<RequestRow> list_requests(SQLite::Database& db, const RequestFilter& filter) {
  std::string where = "WHERE 1";
  if (filter.state) where += " AND state = ?";
  if (filter.review_due_only) where += " AND breakglass = 1 AND reviewed_at IS NULL";
  if (filter.requester) where += party_clause("requester", filter.roles.size());
  if (filter.after) where += " AND (created_at < ? OR (created_at = ? AND id > ?))";
  where += " ORDER BY created_at DESC, id LIMIT ?";
  SQLite::Statement q(db, select_requests(where));
  int index = 1;
  if (filter.state) q.bind(index++, std::string(approvals::to_string(*filter.state)));
  if (filter.requester) bind_party(q, index, *filter.requester, filter.roles);
  if (filter.after) bind_cursor(q, index, *filter.after);
  q.bind(index, static_cast<std::int64_t>(filter.limit));
  std::vector<RequestRow> rows;
  while (q.executeStep()) rows.push_back(read_request(q));
  return rows;
}

std::vector<GrantRow> list_grants(SQLite::Database& db, const GrantFilter& filter) {
  std::string where = "WHERE 1";
  if (filter.user) where += party_clause("user", filter.roles.size());
  if (filter.state) where += " AND state = ?";
  if (filter.approved_by) {
    where +=
        " AND request_id IN (SELECT request_id FROM reviews WHERE reviewer = ? AND decision = "
        "'approve')";
  }
  if (filter.of_user) where += " AND user = ?";
  if (filter.of_role) where += " AND role = ?";
  if (filter.not_request) where += " AND request_id <> ?";
  if (filter.after) where += " AND (not_before < ? OR (not_before = ? AND id > ?))";
  where += " ORDER BY not_before DESC, id LIMIT ?";
  SQLite::Statement q(db, select_grants(where));
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
  while (q.executeStep()) rows.push_back(read_grant(q));
  return rows;
}

approvals::PendingCounts count_pending(SQLite::Database& db, const std::string& requester,
                                       const std::string& role, std::int64_t now) {
  SQLite::Statement q(db,
                      "SELECT coalesce(sum(role = ?), 0), count(*) FROM requests "
                      "WHERE requester = ? AND state = 'pending' AND pending_deadline > ?");
  q.bind(1, role);
  q.bind(2, requester);
  q.bind(3, now);
  q.executeStep();
  return {static_cast<std::size_t>(q.getColumn(0).getInt64()),
          static_cast<std::size_t>(q.getColumn(1).getInt64())};
}

std::vector<GrantRow> grants_ended_by(SQLite::Database& db, std::int64_t now) {
  SQLite::Statement q(db, select_grants("WHERE state = 'active' AND not_after <= ?"));
  q.bind(1, now);
  std::vector<GrantRow> rows;
  while (q.executeStep()) rows.push_back(read_grant(q));
  return rows;
}

std::vector<RequestRow> requests_timed_out_by(SQLite::Database& db, std::int64_t now) {
  SQLite::Statement q(db, select_requests("WHERE state = 'pending' AND pending_deadline <= ?"));
  q.bind(1, now);
  std::vector<RequestRow> rows;
  while (q.executeStep()) rows.push_back(read_request(q));
  return rows;
}

std::optional<std::int64_t> next_deadline(SQLite::Database& db) {
  SQLite::Statement q(db,
                      "SELECT min(t) FROM ("
                      " SELECT min(not_after) AS t FROM grants WHERE state = 'active'"
                      " UNION ALL"
                      " SELECT min(pending_deadline) FROM requests WHERE state = 'pending')");
  if (!q.executeStep() || q.getColumn(0).isNull()) return std::nullopt;
  return q.getColumn(0).getInt64();
}

std::vector<approvals::PastBreakGlass> breakglass_history(SQLite::Database& db,
                                                          const std::string& requester,
                                                          std::int64_t since, std::int64_t now) {
  SQLite::Statement q(
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
  while (q.executeStep()) {
    history.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(),
                       q.getColumn(2).getInt() != 0, q.getColumn(3).getInt64(),
                       q.getColumn(4).getInt() != 0});
  }
  return history;
}

std::int64_t count_overdue_reviews(SQLite::Database& db, std::int64_t now) {
  SQLite::Statement q(db,
                      "SELECT count(*) FROM requests WHERE breakglass = 1 AND reviewed_at IS NULL "
                      "AND review_due_at <= ?");
  q.bind(1, now);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

}  // namespace jit::broker
