// Rows of the access workflow (requests, reviews, grants, certificates) and the SQL that reads and
// writes them. Plain functions over a connection: reads take a read connection or the writer's
// (inside a write job, to see the job's own changes); writes run only inside a Store write job, so
// each state change commits with its audit record.
#pragma once

#include "approvals/breakglass_rules.hpp"
#include "approvals/grant_rules.hpp"
#include "approvals/pending_limits.hpp"
#include "approvals/request_state_machine.hpp"
#include "broker/store/db/db_connection.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::broker {

struct RequestRow {
  std::string id;
  std::string requester;
  std::string role;
  std::string reason;
  std::string ticket;
  std::int64_t duration_s = 0;
  approvals::RequestState state = approvals::RequestState::pending;
  std::int64_t created_at = 0;
  std::int64_t pending_deadline = 0;
  bool breakglass = false;
  std::string incident;
  std::optional<std::int64_t> review_due_at;
  std::optional<std::int64_t> reviewed_at;
  std::optional<std::string> reviewed_by;
};

struct ReviewRow {
  std::string reviewer;
  approvals::ReviewDecision decision = approvals::ReviewDecision::approve;
  std::string comment;
  std::int64_t created_at = 0;
  std::string mfa_evidence;  // JSON (approvals/mfa_evidence.hpp)
};

struct GrantRow {
  std::string id;
  std::string request_id;
  std::string user;
  std::string role;
  std::int64_t not_before = 0;
  std::int64_t not_after = 0;
  approvals::GrantState state = approvals::GrantState::active;
  std::optional<std::int64_t> ended_at;
  std::optional<std::string> end_reason;
  bool breakglass = false;  // read from its request; not a column of grants
};

struct CertificateRow {
  std::string kind;  // "ssh" or "x509"
  std::string serial;
  std::string grant_id;
  std::string ca_key;
  std::string key_fingerprint;
  std::string key_id;
  std::int64_t not_after = 0;
  std::int64_t issued_at = 0;
};

// "req-" / "grt-" followed by 32 lowercase hex digits of fresh randomness.
std::string new_request_id();
std::string new_grant_id();

approvals::RequestSnapshot to_snapshot(const RequestRow& request,
                                       const std::vector<ReviewRow>& reviews);
approvals::GrantSnapshot to_snapshot(const GrantRow& grant);

// Reads.
std::optional<RequestRow> find_request(db::Connection& db, const std::string& id);
std::vector<ReviewRow> find_reviews(db::Connection& db, const std::string& request_id);
std::optional<GrantRow> find_grant(db::Connection& db, const std::string& id);
std::optional<GrantRow> find_grant_for_request(db::Connection& db, const std::string& request_id);

// A place in a listing: the sort time (created_at of a request, not_before of a grant) and the id
// of the last row shown. Rows sort newest first, then by id, so the next page starts right after.
struct PageCursor {
  std::int64_t at = 0;
  std::string id;
};

struct RequestFilter {
  std::optional<approvals::RequestState> state;
  bool review_due_only = false;  // break-glass requests whose post-incident review is open
  std::size_t limit = 500;       // newest first, counted after the party filter below
  // When set: only requests of this requester, or of one of `roles` (those the viewer reviews).
  std::optional<std::string> requester;
  std::vector<std::string> roles;
  std::optional<PageCursor> after;  // only rows after this one in the listing's order
};
std::vector<RequestRow> list_requests(db::Connection& db, const RequestFilter& filter);

struct GrantFilter {
  std::optional<std::string> user;  // when set: grants of this user, or of one of `roles`
  std::optional<approvals::GrantState> state;
  std::size_t limit = 500;  // newest first, counted after the filters
  std::vector<std::string> roles;
  std::optional<std::string> approved_by;  // only grants whose request this user approved
  std::optional<std::string> of_user;      // only grants of exactly this user ...
  std::optional<std::string> of_role;      // ... and this role (a requester's history)
  std::optional<std::string> not_request;  // leaving out the grant of this request
  std::optional<PageCursor> after;         // only rows after this one in the listing's order
};
std::vector<GrantRow> list_grants(db::Connection& db, const GrantFilter& filter);

// The requester's requests pending at `now` (past their deadline they no longer count, though the
// sweeper may not have timed them out yet), of `role` and in all.
approvals::PendingCounts count_pending(db::Connection& db, const std::string& requester,
                                       const std::string& role, std::int64_t now);

// Active grants whose end is at or before `now`, and pending requests past their deadline.
std::vector<GrantRow> grants_ended_by(db::Connection& db, std::int64_t now);
std::vector<RequestRow> requests_timed_out_by(db::Connection& db, std::int64_t now);
// The earliest end of an active grant or deadline of a pending request, if any.
std::optional<std::int64_t> next_deadline(db::Connection& db);
// `requester`'s break-glass requests begun at or after `since` or not reviewed yet (at most 1000,
// newest first), with whether each grant is active at `now`: what check_breakglass_history needs.
std::vector<approvals::PastBreakGlass> breakglass_history(db::Connection& db,
                                                          const std::string& requester,
                                                          std::int64_t since, std::int64_t now);
// Open post-incident reviews whose due time has passed.
std::int64_t count_overdue_reviews(db::Connection& db, std::int64_t now);

// Writes (inside a write job).
void insert_request(db::Connection& db, const RequestRow& request);
void insert_review(db::Connection& db, const std::string& request_id, const ReviewRow& review);
void set_request_state(db::Connection& db, const std::string& id, approvals::RequestState state);
void mark_reviewed(db::Connection& db, const std::string& id, const std::string& reviewer,
                   std::int64_t now);
void insert_grant(db::Connection& db, const GrantRow& grant);
// Ends an active grant (expired or revoked) and its request alike. Revoking also stamps
// revoked_at on the grant's certificates that are still valid and, when it stamped any, bumps the
// revocation generation in the same transaction; returns how many it stamped.
int end_grant(db::Connection& db, const std::string& grant_id, approvals::GrantState state,
              std::int64_t now, const std::string& reason);
void insert_certificate(db::Connection& db, const CertificateRow& certificate);

// The PostgreSQL NOTIFY channel of revocations; the payload is the new revocation generation.
inline constexpr std::string_view kRevocationChannel = "jit_revocation";

// Reserves `count` values of a monotonic counter (counters table) and returns the first.
std::int64_t reserve_counter(db::Connection& db, const std::string& name, std::int64_t count);
// Raises a counter to `at_least` (never lowers it): a value taken from memory is now recorded.
void raise_counter(db::Connection& db, const std::string& name, std::int64_t at_least);
// A counter's current value.
std::int64_t stored_counter(db::Connection& db, const std::string& name);

// The revocation generation: grows in the transaction of every revocation, whichever process
// commits it, so a publisher that read generation G before reading the revoked certificates has
// seen every revocation up to G. One indexed row: cheap enough to poll several times a second.
// On PostgreSQL the bump also sends the new generation on kRevocationChannel (pg_notify, delivered
// when the transaction commits, dropped with it when it rolls back), which wakes every broker's
// publisher at once (revocation_listener.hpp); the poll stays as the safety net.
void bump_revocation_generation(db::Connection& db);
std::int64_t revocation_generation(db::Connection& db);

}  // namespace jit::broker
