#include "approvals/challenge_store.hpp"

#include "approvals/request_binding.hpp"
#include "approvals/secure_random.hpp"

#include <algorithm>

namespace jit::approvals {
namespace {

std::string key_of(ca::ByteView challenge) { return std::string(ca::as_chars(challenge)); }

}  // namespace

ChallengeStore::ChallengeStore(ChallengeStoreLimits limits) : lifetime_(limits.lifetime) {
  pool_of(ChallengePurpose::registration).limits = limits.registration;
  pool_of(ChallengePurpose::login).limits = limits.login;
  pool_of(ChallengePurpose::presence).limits = limits.presence;
  pool_of(ChallengePurpose::approval).limits = limits.approval;
}

Result<ca::Bytes> ChallengeStore::issue(ChallengePurpose purpose, std::string_view user,
                                        std::string_view source, TimePoint now) {
  auto challenge = random_bytes(kChallengeBytes);
  if (!challenge) return challenge.error();
  Entry entry{std::string(user), std::string(source), {}, {}, false};
  if (auto inserted = insert(purpose, *challenge, std::move(entry), now); !inserted) {
    return inserted.error();
  }
  return challenge;
}

Result<ca::Bytes> ChallengeStore::issue_for_request(ca::ByteView request_digest,
                                                    std::string_view user, TimePoint now) {
  if (request_digest.size() != kRequestDigestBytes) return ApprovalsErrc::invalid_input;
  auto nonce = random_bytes(kChallengeBytes);
  if (!nonce) return nonce.error();
  auto challenge = approval_challenge(request_digest, *nonce);
  if (!challenge) return challenge.error();
  Entry entry{std::string(user), {}, {}, std::move(*nonce), false};
  if (auto inserted = insert(ChallengePurpose::approval, *challenge, std::move(entry), now);
      !inserted) {
    return inserted.error();
  }
  return challenge;
}

Result<void> ChallengeStore::insert(ChallengePurpose purpose, const ca::Bytes& challenge,
                                    Entry entry, TimePoint now) {
  if (entry.user.size() > kMaxChallengeUserBytes) return ApprovalsErrc::invalid_input;
  if (entry.source.size() > kMaxChallengeSourceBytes) return ApprovalsErrc::invalid_input;
  const TimePoint expires_at = now + lifetime_;
  entry.expires_at = expires_at;
  const std::string key = key_of(challenge);
  const std::string user = entry.user;
  const ca::Bytes nonce = entry.nonce;
  std::vector<std::string> evicted;
  auto inserted = insert_locally(purpose, key, std::move(entry), now, evicted);
  if (shared_ == nullptr) return inserted;
  // Pushed out here, so pushed out everywhere, whether or not the new one got in.
  for (const std::string& old : evicted) shared_->withdraw(ca::as_bytes(old), purpose);
  if (!inserted) return inserted;
  if (auto published = shared_->publish(challenge, purpose, user, nonce, expires_at); !published) {
    // Usable nowhere then: the caller answers unavailable and the client asks again.
    std::lock_guard lock(mutex_);
    erase_locked(pool_of(purpose), key);
    return published.error();
  }
  return {};
}

Result<void> ChallengeStore::insert_locally(ChallengePurpose purpose, const std::string& key,
                                            Entry entry, TimePoint now,
                                            std::vector<std::string>& evicted) {
  std::lock_guard lock(mutex_);
  Pool& pool = pool_of(purpose);
  prune_locked(pool, now);
  if (!entry.source.empty() && pool.limits.per_source > 0) {
    const auto found = pool.count_by_source.find(entry.source);
    if (found != pool.count_by_source.end() && found->second >= pool.limits.per_source) {
      return ApprovalsErrc::rate_limited;
    }
  }
  // The name's oldest challenge makes room for its newest: whoever floods a name only cycles
  // through that name's own slots.
  for (;;) {
    const auto names = pool.keys_by_name.find(entry.user);
    if (names == pool.keys_by_name.end() || names->second.size() < pool.limits.per_name) break;
    evicted.push_back(names->second.front());
    erase_locked(pool, std::string(names->second.front()));
  }
  if (pool.entries.size() >= pool.limits.max_entries) return ApprovalsErrc::unavailable;
  // 256 random bits do not collide; a collision would mean a broken RNG, so refuse it.
  if (pool.entries.contains(key)) return ApprovalsErrc::internal_error;
  if (pool.expiry_order.size() >= 2 * pool.limits.max_entries) compact_locked(pool);
  pool.expiry_order.emplace_back(entry.expires_at, key);
  pool.keys_by_name[entry.user].push_back(key);
  if (!entry.source.empty()) ++pool.count_by_source[entry.source];
  pool.entries.emplace(key, std::move(entry));
  return {};
}

Result<ConsumedChallenge> ChallengeStore::consume(ca::ByteView challenge, ChallengePurpose purpose,
                                                  std::string_view user, TimePoint now) {
  if (challenge.size() != kChallengeBytes) return ApprovalsErrc::challenge_mismatch;
  ca::Bytes nonce;
  {
    std::unique_lock lock(mutex_);
    Pool& pool = pool_of(purpose);
    const std::string key = key_of(challenge);
    const auto found = pool.entries.find(key);
    if (found == pool.entries.end()) {
      if (shared_ == nullptr) return ApprovalsErrc::challenge_mismatch;
      return consume_shared(challenge, purpose, user, now, lock);
    }
    Entry& entry = found->second;
    if (entry.user != user) return ApprovalsErrc::challenge_mismatch;
    if (entry.used) return ApprovalsErrc::replayed;
    if (now >= entry.expires_at) {
      erase_locked(pool, key);
      return ApprovalsErrc::expired;
    }
    entry.used = true;
    if (shared_ == nullptr) return ConsumedChallenge{entry.nonce};
    nonce = entry.nonce;
  }
  // Issued here, but another broker may have been handed the same answer: the shared row decides.
  auto taken = shared_->take(challenge, purpose, user);
  if (!taken) return taken.error();
  if (!*taken) return ApprovalsErrc::replayed;
  return ConsumedChallenge{std::move(nonce)};
}

Result<ConsumedChallenge> ChallengeStore::consume_shared(ca::ByteView challenge,
                                                         ChallengePurpose purpose,
                                                         std::string_view user, TimePoint now,
                                                         std::unique_lock<std::mutex>& lock) {
  lock.unlock();  // the database call must not hold up every other ceremony of this broker
  auto taken = shared_->take(challenge, purpose, user);
  if (!taken) return taken.error();
  if (!*taken) return ApprovalsErrc::challenge_mismatch;
  if (now >= (*taken)->expires_at) return ApprovalsErrc::expired;
  return ConsumedChallenge{std::move((*taken)->nonce)};
}

void ChallengeStore::prune(TimePoint now) {
  std::lock_guard lock(mutex_);
  for (Pool& pool : pools_) prune_locked(pool, now);
}

void ChallengeStore::prune_locked(Pool& pool, TimePoint now) {
  // Entries are appended with now + lifetime, so the front expires first (if the clock went back,
  // a later entry may expire first; it is then dropped on a later call or refused by consume).
  while (!pool.expiry_order.empty() && pool.expiry_order.front().first <= now) {
    const auto found = pool.entries.find(pool.expiry_order.front().second);
    if (found != pool.entries.end() && found->second.expires_at <= now) {
      erase_locked(pool, pool.expiry_order.front().second);
    }
    pool.expiry_order.pop_front();
  }
}

void ChallengeStore::compact_locked(Pool& pool) {
  // Evicted keys stay in expiry_order until they would have expired; a caller cycling through its
  // own slots could grow it without bound, so drop them once it is twice the pool's size.
  std::erase_if(pool.expiry_order,
                [&](const auto& item) { return !pool.entries.contains(item.second); });
}

void ChallengeStore::erase_locked(Pool& pool, const std::string& key) {
  const auto found = pool.entries.find(key);
  if (found == pool.entries.end()) return;
  const Entry& entry = found->second;
  if (const auto names = pool.keys_by_name.find(entry.user); names != pool.keys_by_name.end()) {
    // At most per_name keys, and the one erased is nearly always the front.
    auto& keys = names->second;
    if (const auto at = std::find(keys.begin(), keys.end(), key); at != keys.end()) keys.erase(at);
    if (keys.empty()) pool.keys_by_name.erase(names);
  }
  if (!entry.source.empty()) {
    if (const auto count = pool.count_by_source.find(entry.source);
        count != pool.count_by_source.end() && --count->second == 0) {
      pool.count_by_source.erase(count);
    }
  }
  // The key stays in expiry_order; prune_locked skips keys that are gone.
  pool.entries.erase(found);
}

std::size_t ChallengeStore::size() const {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const Pool& pool : pools_) total += pool.entries.size();
  return total;
}

std::size_t ChallengeStore::size(ChallengePurpose purpose) const {
  std::lock_guard lock(mutex_);
  return pools_[static_cast<std::size_t>(purpose)].entries.size();
}

}  // namespace jit::approvals
