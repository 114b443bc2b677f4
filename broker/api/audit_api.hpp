// The audit log for auditors (members of the policy group `auditors`; anyone else 403):
//   GET /v1/audit?after=SEQ&limit=N -> 200 {records: [{seq, time_us, actor, action, object,
//                                           details, prev_hash, hash}], next: SEQ or null}
//     records with seq > after (default 0) in order, at most `limit` (default 100, 1..1000);
//     `next` is the `after` of the following page, null when this page reached the end.
//   GET /v1/audit/verify -> 200 {ok, records, head} (and first_bad_seq, problem when not ok)
//     the whole chain checked with the broker's key, as `jit-broker audit verify` does. Note
//     `head` and `records`: given later to `audit verify --head/--expect-records` they detect a
//     chain cut short.
// Reading is not itself audited, so paging does not grow the log it reads.
#pragma once

namespace jit::broker {

class Router;
class IdentityService;

void add_audit_routes(Router& router, IdentityService& identity);

}  // namespace jit::broker
