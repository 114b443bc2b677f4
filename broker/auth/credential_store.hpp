// Reading and writing users' credentials: the password hash, the sealed TOTP secret with the last
// step used (so a code is accepted once), the failure counter and lock, and WebAuthn credentials.
// Functions run inside the caller's transaction (writes) or on a read connection.
#pragma once

#include "broker/store/db/db_connection.hpp"
#include "broker/store/store.hpp"
#include "ca/bytes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jit::broker {

struct CredentialRecord {
  std::string user;
  std::string password_hash;
  ca::Bytes sealed_totp_secret;
  std::int64_t totp_last_step = 0;
  int failed_attempts = 0;
  std::int64_t locked_until = 0;
  bool admin_locked = false;
};

// One failure counter of a user other than the per-user one in `credentials`: per source address
// for password logins, or "session/<token hash>" for proofs of presence on one session.
struct SourceFailures {
  int failures = 0;
  std::int64_t locked_until = 0;
  std::int64_t last_success_at = 0;  // last successful login from this source (0: never)
};

struct WebAuthnCredentialRecord {
  ca::Bytes credential_id;
  std::string user;
  ca::Bytes cose_key;
  int algorithm = 0;
  std::uint32_t sign_count = 0;
  bool possibly_cloned = false;
  std::int64_t created_at = 0;                 // set by the store on insert
  std::optional<std::int64_t> last_used_at{};  // the last accepted assertion
};

std::optional<CredentialRecord> find_credentials(db::Connection& db, std::string_view user);

// Creates or replaces (reset) a user's password and TOTP secret; clears failures and locks.
void upsert_credentials(WriteContext& tx, std::string_view user, std::string_view password_hash,
                        ca::ByteView sealed_totp_secret);

void record_totp_step(WriteContext& tx, std::string_view user, std::int64_t step);
void record_login_failure(WriteContext& tx, std::string_view user, int failed_attempts,
                          std::int64_t locked_until);
void clear_login_failures(WriteContext& tx, std::string_view user);
void set_admin_lock(WriteContext& tx, std::string_view user, bool locked);

// A missing row reads as no failures and no success.
SourceFailures find_source_failures(db::Connection& db, std::string_view user,
                                    std::string_view source);
// `now` (Unix seconds) is the identity service's clock, the one locks and trust are judged by.
void record_source_failure(WriteContext& tx, std::string_view user, std::string_view source,
                           int failures, std::int64_t locked_until, std::int64_t now);
// Clears the counter; `remember_success` keeps the row with the time of this success (a password
// login's source, trusted for a while), otherwise the row goes (a session's counter).
void record_source_success(WriteContext& tx, std::string_view user, std::string_view source,
                           bool remember_success, std::int64_t now);
// Rows untouched since `stale_before` and without a success since `success_before` (so locks long
// over and trust long expired) are deleted, so guessing from many sources cannot grow the table.
void prune_source_failures(WriteContext& tx, std::int64_t stale_before,
                           std::int64_t success_before);

std::vector<WebAuthnCredentialRecord> find_webauthn_credentials(db::Connection& db,
                                                                std::string_view user);
std::optional<WebAuthnCredentialRecord> find_webauthn_credential(db::Connection& db,
                                                                 ca::ByteView credential_id);
void insert_webauthn_credential(WriteContext& tx, const WebAuthnCredentialRecord& record);
void update_webauthn_sign_count(WriteContext& tx, ca::ByteView credential_id,
                                std::uint32_t sign_count);
void delete_webauthn_credentials(WriteContext& tx, std::string_view user);
// Deletes one of `user`'s credentials; false when `user` has none with that id.
bool delete_webauthn_credential(WriteContext& tx, std::string_view user,
                                ca::ByteView credential_id);
void mark_webauthn_cloned(WriteContext& tx, ca::ByteView credential_id);

}  // namespace jit::broker
