#include "broker/auth/shared_challenge_table.hpp"

#include "approvals/approvals_error.hpp"
#include "broker/auth/session_tokens.hpp"
#include "broker/log.hpp"
#include "broker/store/pending_ceremonies.hpp"

#include <chrono>

namespace jit::broker {
namespace {

using approvals::ApprovalsErrc;
using approvals::ChallengePurpose;

std::string kind_of(ChallengePurpose purpose) {
  switch (purpose) {
    case ChallengePurpose::registration:
      return "webauthn.registration";
    case ChallengePurpose::login:
      return "webauthn.login";
    case ChallengePurpose::presence:
      return "webauthn.presence";
    case ChallengePurpose::approval:
      return "webauthn.approval";
  }
  return "webauthn";
}

// The row's key: the challenge itself never reaches the database.
std::string key_of(ca::ByteView challenge) { return token_hash_hex(ca::as_chars(challenge)); }

std::int64_t to_unix_us(approvals::TimePoint at) {
  return std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
}

// A 503 says only "unavailable"; the operator's log says why.
void log_failure(std::string_view step, const db::Error& e) {
  log_event(LogLevel::warning, "shared_challenge_failed", {{"step", step}, {"error", e.what()}});
}

}  // namespace

Result<void> SharedChallengeTable::publish(ca::ByteView challenge, ChallengePurpose purpose,
                                           std::string_view user, ca::ByteView nonce,
                                           approvals::TimePoint expires_at) {
  try {
    store_.read([&](db::Connection& db) {
      prune_pending_ceremonies_now_and_then(db, pending_ceremony_now_us());
      insert_pending_ceremony(
          db, key_of(challenge), kind_of(purpose),
          {std::string(user), ca::Bytes(nonce.begin(), nonce.end()), to_unix_us(expires_at)});
    });
    return {};
  } catch (const db::Error& e) {
    log_failure("publish", e);
    return ApprovalsErrc::unavailable;
  }
}

Result<std::optional<approvals::SharedChallenges::Taken>> SharedChallengeTable::take(
    ca::ByteView challenge, ChallengePurpose purpose, std::string_view user) {
  try {
    auto row = store_.read([&](db::Connection& db) {
      return take_pending_ceremony(db, key_of(challenge), kind_of(purpose), user);
    });
    if (!row) return std::optional<Taken>();
    return std::optional<Taken>(
        Taken{std::move(row->payload),
              approvals::TimePoint(std::chrono::microseconds(row->expires_at_us))});
  } catch (const db::Error& e) {
    log_failure("take", e);
    return ApprovalsErrc::unavailable;
  }
}

void SharedChallengeTable::withdraw(ca::ByteView challenge, ChallengePurpose purpose) {
  try {
    store_.read([&](db::Connection& db) {
      delete_pending_ceremony(db, key_of(challenge), kind_of(purpose));
    });
  } catch (const db::Error& e) {
    // Left to expire: the next prune after its end deletes it.
    log_failure("withdraw", e);
  }
}

}  // namespace jit::broker
