// Schema version 6 keys the audit chain (issue 14). Databases written before it hold a chain of
// plain SHA-256 hashes, which anyone with the file can recompute after deleting records. The
// migration re-keys that chain in place, while the broker has the data key, instead of keeping the
// old records under plain hashes behind a marker: the marker would live in the same database the
// attacker can edit, so moving it (or forging records below it) would again verify. After the
// re-key the verifier accepts only HMAC records; there is no unkeyed path left to fall back to.
//
// What the old chain was is not lost: first the plain chain is verified as it stands, and the last
// record the migration appends ("audit.rekey") states how many records it had, its head hash and
// whether it verified (or where it broke). An auditor who noted the old head can check it there.
#pragma once

#include "broker/store/audit_chain.hpp"
#include "broker/store/db/db_connection.hpp"

namespace jit::broker {

// Inside the migration's transaction: recomputes every record's prev_hash and hash under `key`, in
// seq order, then appends the "audit.rekey" record at `now_us`. An empty chain is left empty.
void rekey_audit_chain(db::Connection& db, const AuditChainKey& key, std::int64_t now_us);

}  // namespace jit::broker
