#include "broker/auth/credential_store.hpp"
#include "broker/store/db/db_connection.hpp"

namespace jit::broker {
namespace {

void bind_blob(db::Statement& statement, int index, ca::ByteView bytes) {
  statement.bind_bytes(index, bytes);
}

constexpr std::string_view kWebAuthnColumns =
    "credential_id, \"user\", cose_key, algorithm, sign_count, possibly_cloned, created_at, "
    "last_used_at";

WebAuthnCredentialRecord webauthn_from_row(db::Statement& q) {
  WebAuthnCredentialRecord record{q.get_bytes(0),
                                  q.get_text(1),
                                  q.get_bytes(2),
                                  q.get_int(3),
                                  static_cast<std::uint32_t>(q.get_int64(4)),
                                  q.get_int(5) != 0};
  record.created_at = q.get_int64(6);
  if (!q.is_null(7)) record.last_used_at = q.get_int64(7);
  return record;
}

}  // namespace

std::optional<CredentialRecord> find_credentials(db::Connection& db, std::string_view user) {
  db::Statement q(db,
                  "SELECT \"user\", password_hash, totp_secret, totp_last_step, failed_attempts, "
                  "locked_until, admin_locked FROM credentials WHERE \"user\" = ?");
  q.bind(1, std::string(user));
  if (!q.step()) return std::nullopt;
  // No TOTP secret (a single sign-on user) is NULL.
  ca::Bytes sealed_totp_secret = q.is_null(2) ? ca::Bytes{} : q.get_bytes(2);
  return CredentialRecord{q.get_text(0),    q.get_text(1), std::move(sealed_totp_secret),
                          q.get_int64(3),   q.get_int(4),  q.get_int64(5),
                          q.get_int(6) != 0};
}

void upsert_credentials(WriteContext& tx, std::string_view user, std::string_view password_hash,
                        ca::ByteView sealed_totp_secret) {
  db::Statement q(tx.db(),
                  "INSERT INTO credentials(\"user\", password_hash, totp_secret, totp_last_step, "
                  "failed_attempts, locked_until, admin_locked, created_at, updated_at) "
                  "VALUES (?1, ?2, ?3, 0, 0, 0, 0, ?4, ?4) "
                  "ON CONFLICT(\"user\") DO UPDATE SET password_hash = ?2, totp_secret = ?3, "
                  "totp_last_step = 0, failed_attempts = 0, locked_until = 0, updated_at = ?4");
  q.bind(1, std::string(user));
  q.bind(2, std::string(password_hash));
  bind_blob(q, 3, sealed_totp_secret);
  q.bind(4, tx.now_seconds());
  q.exec();
  db::Statement counters(tx.db(), "DELETE FROM login_failures WHERE \"user\" = ?");
  counters.bind(1, std::string(user));
  counters.exec();
}

void record_totp_step(WriteContext& tx, std::string_view user, std::int64_t step) {
  // Keeps the step monotonic even if two logins race in one batch (CASE: SQLite's two-argument
  // max() is PostgreSQL's greatest()).
  db::Statement q(tx.db(),
                  "UPDATE credentials SET totp_last_step = CASE WHEN totp_last_step < ?1 THEN ?1 "
                  "ELSE totp_last_step END WHERE \"user\" = ?2");
  q.bind(1, step);
  q.bind(2, std::string(user));
  q.exec();
}

void record_login_failure(WriteContext& tx, std::string_view user, int failed_attempts,
                          std::int64_t locked_until) {
  db::Statement q(tx.db(),
                  "UPDATE credentials SET failed_attempts = ?, locked_until = ?, updated_at = ? "
                  "WHERE \"user\" = ?");
  q.bind(1, failed_attempts);
  q.bind(2, locked_until);
  q.bind(3, tx.now_seconds());
  q.bind(4, std::string(user));
  q.exec();
}

void clear_login_failures(WriteContext& tx, std::string_view user) {
  db::Statement q(tx.db(),
                  "UPDATE credentials SET failed_attempts = 0, locked_until = 0 WHERE \"user\" = ? "
                  "AND (failed_attempts != 0 OR locked_until != 0)");
  q.bind(1, std::string(user));
  q.exec();
}

void set_admin_lock(WriteContext& tx, std::string_view user, bool locked) {
  db::Statement q(tx.db(),
                  "UPDATE credentials SET admin_locked = ?, failed_attempts = 0, locked_until = 0, "
                  "updated_at = ? WHERE \"user\" = ?");
  q.bind(1, locked ? 1 : 0);
  q.bind(2, tx.now_seconds());
  q.bind(3, std::string(user));
  q.exec();
  // An administrator's lock or unlock starts every counter of the user afresh.
  db::Statement counters(tx.db(), "DELETE FROM login_failures WHERE \"user\" = ?");
  counters.bind(1, std::string(user));
  counters.exec();
}

SourceFailures find_source_failures(db::Connection& db, std::string_view user,
                                    std::string_view source) {
  db::Statement q(db,
                  "SELECT failures, locked_until, last_success_at FROM login_failures "
                  "WHERE \"user\" = ? AND source = ?");
  q.bind(1, std::string(user));
  q.bind(2, std::string(source));
  if (!q.step()) return {};
  return SourceFailures{q.get_int(0), q.get_int64(1), q.get_int64(2)};
}

void record_source_failure(WriteContext& tx, std::string_view user, std::string_view source,
                           int failures, std::int64_t locked_until, std::int64_t now) {
  db::Statement q(tx.db(),
                  "INSERT INTO login_failures(\"user\", source, failures, locked_until, "
                  "last_success_at, updated_at) VALUES (?1, ?2, ?3, ?4, 0, ?5) "
                  "ON CONFLICT(\"user\", source) DO UPDATE SET failures = ?3, locked_until = ?4, "
                  "updated_at = ?5");
  q.bind(1, std::string(user));
  q.bind(2, std::string(source));
  q.bind(3, failures);
  q.bind(4, locked_until);
  q.bind(5, now);
  q.exec();
}

void record_source_success(WriteContext& tx, std::string_view user, std::string_view source,
                           bool remember_success, std::int64_t now) {
  if (!remember_success) {
    db::Statement q(tx.db(), "DELETE FROM login_failures WHERE \"user\" = ? AND source = ?");
    q.bind(1, std::string(user));
    q.bind(2, std::string(source));
    q.exec();
    return;
  }
  db::Statement q(tx.db(),
                  "INSERT INTO login_failures(\"user\", source, failures, locked_until, "
                  "last_success_at, updated_at) VALUES (?1, ?2, 0, 0, ?3, ?3) "
                  "ON CONFLICT(\"user\", source) DO UPDATE SET failures = 0, locked_until = 0, "
                  "last_success_at = ?3, updated_at = ?3");
  q.bind(1, std::string(user));
  q.bind(2, std::string(source));
  q.bind(3, now);
  q.exec();
}

void prune_source_failures(WriteContext& tx, std::int64_t stale_before,
                           std::int64_t success_before) {
  db::Statement q(tx.db(),
                  "DELETE FROM login_failures WHERE updated_at < ? AND last_success_at < ?");
  q.bind(1, stale_before);
  q.bind(2, success_before);
  q.exec();
}

std::vector<WebAuthnCredentialRecord> find_webauthn_credentials(db::Connection& db,
                                                                std::string_view user) {
  db::Statement q(db, "SELECT " + std::string(kWebAuthnColumns) +
                          " FROM webauthn_credentials WHERE \"user\" = ? ORDER BY created_at");
  q.bind(1, std::string(user));
  std::vector<WebAuthnCredentialRecord> out;
  while (q.step()) out.push_back(webauthn_from_row(q));
  return out;
}

std::optional<WebAuthnCredentialRecord> find_webauthn_credential(db::Connection& db,
                                                                 ca::ByteView credential_id) {
  db::Statement q(db, "SELECT " + std::string(kWebAuthnColumns) +
                          " FROM webauthn_credentials WHERE credential_id = ?");
  bind_blob(q, 1, credential_id);
  if (!q.step()) return std::nullopt;
  return webauthn_from_row(q);
}

void insert_webauthn_credential(WriteContext& tx, const WebAuthnCredentialRecord& record) {
  db::Statement q(tx.db(),
                  "INSERT INTO webauthn_credentials(credential_id, \"user\", cose_key, algorithm, "
                  "sign_count, possibly_cloned, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)");
  bind_blob(q, 1, record.credential_id);
  q.bind(2, record.user);
  bind_blob(q, 3, record.cose_key);
  q.bind(4, record.algorithm);
  q.bind(5, static_cast<std::int64_t>(record.sign_count));
  q.bind(6, tx.now_seconds());
  q.exec();
}

void update_webauthn_sign_count(WriteContext& tx, ca::ByteView credential_id,
                                std::uint32_t sign_count) {
  db::Statement q(tx.db(),
                  "UPDATE webauthn_credentials SET sign_count = ?, last_used_at = ? "
                  "WHERE credential_id = ?");
  q.bind(1, static_cast<std::int64_t>(sign_count));
  q.bind(2, tx.now_seconds());
  bind_blob(q, 3, credential_id);
  q.exec();
}

void delete_webauthn_credentials(WriteContext& tx, std::string_view user) {
  db::Statement q(tx.db(), "DELETE FROM webauthn_credentials WHERE \"user\" = ?");
  q.bind(1, std::string(user));
  q.exec();
}

bool delete_webauthn_credential(WriteContext& tx, std::string_view user,
                                ca::ByteView credential_id) {
  db::Statement q(tx.db(),
                  "DELETE FROM webauthn_credentials WHERE credential_id = ? AND \"user\" = ?");
  bind_blob(q, 1, credential_id);
  q.bind(2, std::string(user));
  return q.exec() > 0;
}

void mark_webauthn_cloned(WriteContext& tx, ca::ByteView credential_id) {
  db::Statement q(tx.db(),
                  "UPDATE webauthn_credentials SET possibly_cloned = 1 WHERE credential_id = ?");
  bind_blob(q, 1, credential_id);
  q.exec();
}

}  // namespace jit::broker
