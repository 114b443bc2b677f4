#include "broker/auth/session_tokens.hpp"
#include "broker/store/db/db_connection.hpp"

#include "ca/bytes.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <stdexcept>

namespace jit::broker {

std::string random_token() {
  std::array<std::byte, 32> bytes{};
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size()) != 1) {
    throw std::runtime_error("random generator failed");
  }
  return ca::base64url_encode_unpadded(bytes);
}

std::string token_hash_hex(std::string_view token) {
  std::array<std::byte, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return ca::hex_encode(digest);
}

IssuedSession create_session(WriteContext& tx, std::string_view user, std::int64_t now,
                             const SessionLimits& limits) {
  IssuedSession issued;
  issued.token = random_token();
  issued.csrf_token = random_token();
  issued.record = SessionRecord{std::string(user),
                                now,
                                now,
                                now,
                                now + limits.absolute_timeout.count(),
                                token_hash_hex(issued.csrf_token),
                                token_hash_hex(issued.token),
                                {}};
  db::Statement insert(tx.db(),
                       "INSERT INTO sessions(token_hash, \"user\", csrf_hash, created_at, "
                       "last_seen_at, last_mfa_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, issued.record.token_hash);
  insert.bind(2, issued.record.user);
  insert.bind(3, issued.record.csrf_hash);
  insert.bind(4, issued.record.created_at);
  insert.bind(5, issued.record.last_seen_at);
  insert.bind(6, issued.record.last_mfa_at);
  insert.bind(7, issued.record.expires_at);
  insert.exec();
  return issued;
}

IssuedSession create_sso_session(WriteContext& tx, std::string_view user, std::int64_t now,
                                 const SessionLimits& limits, std::string sso_login,
                                 bool login_mfa) {
  auto issued = create_session(tx, user, now, limits);
  issued.record.sso_login = std::move(sso_login);
  if (!login_mfa) issued.record.last_mfa_at = 0;
  db::Statement update(tx.db(),
                       "UPDATE sessions SET sso_login = ?, last_mfa_at = ? WHERE token_hash = ?");
  update.bind(1, issued.record.sso_login);
  update.bind(2, issued.record.last_mfa_at);
  update.bind(3, issued.record.token_hash);
  update.exec();
  return issued;
}

Result<SessionRecord> find_live_session(db::Connection& db, std::string_view token,
                                        std::int64_t now, const SessionLimits& limits) {
  // Tokens we issue are 43 base64url characters; anything else cannot be one of ours.
  if (token.size() != 43) return BrokerErrc::unauthenticated;
  const std::string hash = token_hash_hex(token);
  auto statement =
      prepare_cached(db,
                     "SELECT \"user\", created_at, last_seen_at, last_mfa_at, expires_at, "
                     "csrf_hash, sso_login FROM sessions WHERE token_hash = ?");
  auto& query = statement;
  query.bind(1, hash);
  if (!query.step()) return BrokerErrc::unauthenticated;
  SessionRecord record{query.get_text(0),
                       query.get_int64(1),
                       query.get_int64(2),
                       query.get_int64(3),
                       query.get_int64(4),
                       query.get_text(5),
                       hash,
                       query.is_null(6) ? std::string() : query.get_text(6)};
  if (now >= record.expires_at) return BrokerErrc::unauthenticated;
  if (now - record.last_seen_at >= limits.idle_timeout.count()) return BrokerErrc::unauthenticated;
  return record;
}

bool session_needs_touch(const SessionRecord& session, std::int64_t now) {
  return now - session.last_seen_at >= 60;
}

void touch_session(WriteContext& tx, std::string_view token_hash, std::int64_t now) {
  db::Statement update(tx.db(), "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?");
  update.bind(1, now);
  update.bind(2, std::string(token_hash));
  update.exec();
}

void record_session_mfa(WriteContext& tx, std::string_view token_hash, std::int64_t now) {
  db::Statement update(
      tx.db(), "UPDATE sessions SET last_mfa_at = ?, last_seen_at = ? WHERE token_hash = ?");
  update.bind(1, now);
  update.bind(2, now);
  update.bind(3, std::string(token_hash));
  update.exec();
}

void delete_session(WriteContext& tx, std::string_view token_hash) {
  db::Statement remove(tx.db(), "DELETE FROM sessions WHERE token_hash = ?");
  remove.bind(1, std::string(token_hash));
  remove.exec();
}

void delete_user_sessions(WriteContext& tx, std::string_view user) {
  db::Statement remove(tx.db(), "DELETE FROM sessions WHERE \"user\" = ?");
  remove.bind(1, std::string(user));
  remove.exec();
}

std::size_t delete_expired_sessions(WriteContext& tx, std::int64_t now,
                                    const SessionLimits& limits) {
  // The same bounds as find_live_session: expired at expires_at, idle after idle_timeout.
  db::Statement remove(tx.db(), "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?");
  remove.bind(1, now);
  remove.bind(2, now - limits.idle_timeout.count());
  return static_cast<std::size_t>(remove.exec());
}

bool csrf_token_matches(const SessionRecord& session, std::string_view presented) {
  if (presented.empty()) return false;
  const std::string presented_hash = token_hash_hex(presented);
  return ca::constant_time_equal(ca::as_bytes(presented_hash), ca::as_bytes(session.csrf_hash));
}

}  // namespace jit::broker
