// Session tokens (docs/architecture.md invariant 7): 256 random bits, shown once, stored only as
// SHA-256, with an idle and an absolute timeout. A CSRF token is minted with each session for the
// page, which sends it in a header with every state-changing call made with the cookie.
#pragma once

#include "broker/broker_error.hpp"
#include "broker/store/db/db_connection.hpp"
#include "broker/store/store.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace jit::broker {

struct SessionLimits {
  std::chrono::seconds idle_timeout{15 * 60};
  std::chrono::seconds absolute_timeout{8 * 60 * 60};
};

struct SessionRecord {
  std::string user;
  std::int64_t created_at = 0;
  std::int64_t last_seen_at = 0;
  std::int64_t last_mfa_at = 0;
  std::int64_t expires_at = 0;  // absolute limit
  std::string csrf_hash;        // hex SHA-256 of the CSRF token
  std::string token_hash;       // hex SHA-256 of the session token
  // Sessions opened by SSO: {"provider", "sub", "amr", "acr", "auth_time"} as JSON; else empty.
  std::string sso_login;
};

struct IssuedSession {
  std::string token;       // base64url, shown to the client once
  std::string csrf_token;  // base64url
  SessionRecord record;
};

// 32 random bytes as unpadded base64url.
std::string random_token();
std::string token_hash_hex(std::string_view token);

// Inserts a new session in the caller's transaction (the login's audit record goes with it).
IssuedSession create_session(WriteContext& tx, std::string_view user, std::int64_t now,
                             const SessionLimits& limits);

// A session opened by an SSO login (docs/sso.md): `sso_login` is kept with it, and its login
// counts as MFA (last_mfa_at = now) only when `login_mfa` (the provider's amr/acr qualified).
IssuedSession create_sso_session(WriteContext& tx, std::string_view user, std::int64_t now,
                                 const SessionLimits& limits, std::string sso_login,
                                 bool login_mfa);

// The session for `token` if it exists and neither timeout has passed at `now`;
// `unauthenticated` otherwise (the same answer for unknown, idle and expired tokens).
Result<SessionRecord> find_live_session(db::Connection& db, std::string_view token,
                                        std::int64_t now, const SessionLimits& limits);

// Whether last_seen should be written back: only when it is a minute old, so a busy client does
// not cost a write per request, while idle detection stays accurate to a minute.
bool session_needs_touch(const SessionRecord& session, std::int64_t now);
void touch_session(WriteContext& tx, std::string_view token_hash, std::int64_t now);
void record_session_mfa(WriteContext& tx, std::string_view token_hash, std::int64_t now);
void delete_session(WriteContext& tx, std::string_view token_hash);
void delete_user_sessions(WriteContext& tx, std::string_view user);
// Deletes every session past either timeout at `now` (no token can use them any more); returns
// how many.
std::size_t delete_expired_sessions(WriteContext& tx, std::int64_t now,
                                    const SessionLimits& limits);

bool csrf_token_matches(const SessionRecord& session, std::string_view presented);

}  // namespace jit::broker
