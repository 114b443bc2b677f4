#include "broker/store/pending_ceremonies.hpp"

#include <atomic>
#include <chrono>

namespace jit::broker {
namespace {

PendingCeremony ceremony_of(db::Statement& row) {
  const auto payload = row.get_bytes(1);
  return {row.get_text(0), ca::Bytes(payload.begin(), payload.end()), row.get_int64(2)};
}

}  // namespace

void insert_pending_ceremony(db::Connection& db, std::string_view key_hash, std::string_view kind,
                             const PendingCeremony& ceremony) {
  db::Statement insert(db,
                       "INSERT INTO pending_ceremonies(key_hash, kind, owner, payload, expires_at) "
                       "VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, key_hash);
  insert.bind(2, kind);
  insert.bind(3, std::string_view(ceremony.owner));
  insert.bind_bytes(4, ceremony.payload);
  insert.bind(5, ceremony.expires_at_us);
  insert.exec();
}

std::optional<PendingCeremony> take_pending_ceremony(db::Connection& db, std::string_view key_hash,
                                                     std::string_view kind,
                                                     std::string_view owner) {
  // One statement: of two brokers taking the same row at once, exactly one gets it.
  db::Statement take(db,
                     "DELETE FROM pending_ceremonies WHERE key_hash = ? AND kind = ? AND owner = ? "
                     "RETURNING owner, payload, expires_at");
  take.bind(1, key_hash);
  take.bind(2, kind);
  take.bind(3, owner);
  if (!take.step()) return std::nullopt;
  return ceremony_of(take);
}

std::optional<PendingCeremony> find_pending_ceremony(db::Connection& db, std::string_view key_hash,
                                                     std::string_view kind) {
  db::Statement find(db,
                     "SELECT owner, payload, expires_at FROM pending_ceremonies "
                     "WHERE key_hash = ? AND kind = ?");
  find.bind(1, key_hash);
  find.bind(2, kind);
  if (!find.step()) return std::nullopt;
  return ceremony_of(find);
}

bool replace_pending_ceremony_payload(db::Connection& db, std::string_view key_hash,
                                      std::string_view kind, ca::ByteView payload) {
  db::Statement update(db,
                       "UPDATE pending_ceremonies SET payload = ? WHERE key_hash = ? AND kind = ?");
  update.bind_bytes(1, payload);
  update.bind(2, key_hash);
  update.bind(3, kind);
  return update.exec() > 0;
}

void delete_pending_ceremony(db::Connection& db, std::string_view key_hash, std::string_view kind) {
  db::Statement remove(db, "DELETE FROM pending_ceremonies WHERE key_hash = ? AND kind = ?");
  remove.bind(1, key_hash);
  remove.bind(2, kind);
  remove.exec();
}

std::int64_t delete_expired_pending_ceremonies(db::Connection& db, std::int64_t now_us) {
  db::Statement remove(db, "DELETE FROM pending_ceremonies WHERE expires_at <= ?");
  remove.bind(1, now_us);
  return remove.exec();
}

void prune_pending_ceremonies_now_and_then(db::Connection& db, std::int64_t now_us) {
  static std::atomic<std::int64_t> next_prune_us{0};
  std::int64_t due = next_prune_us.load();
  if (now_us < due) return;
  // One thread wins the round; the others go on without waiting for it.
  if (!next_prune_us.compare_exchange_strong(due, now_us + kPendingCeremonyPruneIntervalUs)) return;
  delete_expired_pending_ceremonies(db, now_us);
}

std::int64_t pending_ceremony_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace jit::broker
