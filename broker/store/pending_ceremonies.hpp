// Ceremonies under way that any broker of a PostgreSQL deployment may finish (docs/architecture.md,
// "Ceremonies across brokers"): a WebAuthn challenge issued by one broker and answered at another,
// an SSO login begun at one and returning to another. Rows live in the UNLOGGED table
// pending_ceremonies (schema version 11, PostgreSQL only), keyed by the SHA-256 (hex) of the
// handle, never the handle itself. Each function is one autocommit statement on the connection it
// is given (a read connection, outside the writer): these rows are not part of the audit chain and
// nothing acknowledged depends on them, so they need neither the chain lock nor a durable COMMIT.
#pragma once

#include "broker/store/db/db_connection.hpp"
#include "ca/bytes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jit::broker {

struct PendingCeremony {
  std::string owner;  // the user a challenge was issued for; empty for an SSO login
  ca::Bytes payload;
  std::int64_t expires_at_us = 0;
};

// Fails (db::Error) when a row of that key exists: 256 random bits do not collide.
void insert_pending_ceremony(db::Connection& db, std::string_view key_hash, std::string_view kind,
                             const PendingCeremony& ceremony);

// Removes the row of `key_hash`, `kind` and `owner` and returns it (expired or not: the caller
// compares expires_at_us with its own clock); nullopt when there is none, i.e. it was never
// published, another broker took it first, or it was for another kind or owner (then it stays).
std::optional<PendingCeremony> take_pending_ceremony(db::Connection& db, std::string_view key_hash,
                                                     std::string_view kind, std::string_view owner);

// The row, left in place (a device login is polled several times).
std::optional<PendingCeremony> find_pending_ceremony(db::Connection& db, std::string_view key_hash,
                                                     std::string_view kind);

// New payload for an existing row; false when it is gone.
bool replace_pending_ceremony_payload(db::Connection& db, std::string_view key_hash,
                                      std::string_view kind, ca::ByteView payload);

void delete_pending_ceremony(db::Connection& db, std::string_view key_hash, std::string_view kind);

// Rows that expired at or before `now_us`; how many.
std::int64_t delete_expired_pending_ceremonies(db::Connection& db, std::int64_t now_us);

// How often a process deletes the expired rows (of every broker and kind).
inline constexpr std::int64_t kPendingCeremonyPruneIntervalUs = 60'000'000;

// delete_expired_pending_ceremonies at most once per kPendingCeremonyPruneIntervalUs in this
// process. Every path that adds rows calls it (WebAuthn challenges and SSO logins), so whichever
// ceremonies a deployment uses keep the table to what is live.
void prune_pending_ceremonies_now_and_then(db::Connection& db, std::int64_t now_us);

// Microseconds since the epoch on the system clock, the time rows expire by: the brokers of one
// deployment share it (NTP), where each one's steady clock is its own.
std::int64_t pending_ceremony_now_us();

}  // namespace jit::broker
