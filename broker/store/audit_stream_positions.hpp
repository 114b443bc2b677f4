// Where each audit stream sink has got to (schema version 8, docs/architecture.md "Audit stream"):
// the seq of the last audit record it delivered. Written after the sink confirmed a batch, so a
// restart resumes from there; a sink with no row yet starts at the first record.
#pragma once

#include "broker/store/db/db_connection.hpp"

#include <cstdint>
#include <string>

namespace jit::broker {

// 0 when the sink has no position yet.
std::int64_t audit_stream_position(db::Connection& db, const std::string& sink);

// Inside the caller's write job. Never moves a position back.
void save_audit_stream_position(db::Connection& db, const std::string& sink, std::int64_t last_seq,
                                std::int64_t now_seconds);

// The seq of the newest audit record (0 when there is none).
std::int64_t audit_head_seq(db::Connection& db);

}  // namespace jit::broker
