#include "approvals/challenge_store.hpp"

#include "approvals/request_binding.hpp"
#include "approvals/secure_random.hpp"

namespace jit::approvals {
namespace {

std::string key_of(ca::ByteView challenge) { return std::string(ca::as_chars(challenge)); }

}  // namespace

ChallengeStore::ChallengeStore(ChallengeStoreLimits limits) : limits_(limits) {}

Result<ca::Bytes> ChallengeStore::issue(ChallengePurpose purpose, std::string_view user,
                                        TimePoint now) {
  auto challenge = random_bytes(kChallengeBytes);
  if (!challenge) return challenge.error();
  if (auto inserted = insert(*challenge, Entry{purpose, std::string(user), {}, {}, false}, now);
      !inserted) {
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
  Entry entry{ChallengePurpose::approval, std::string(user), {}, std::move(*nonce), false};
  if (auto inserted = insert(*challenge, std::move(entry), now); !inserted) {
    return inserted.error();
  }
  return challenge;
}

Result<void> ChallengeStore::insert(const ca::Bytes& challenge, Entry entry, TimePoint now) {
  if (entry.user.size() > kMaxChallengeUserBytes) return ApprovalsErrc::invalid_input;
  entry.expires_at = now + limits_.lifetime;
  std::string key = key_of(challenge);
  std::lock_guard lock(mutex_);
  prune_locked(now);
  if (entries_.size() >= limits_.max_entries) return ApprovalsErrc::unavailable;
  // 256 random bits do not collide; a collision would mean a broken RNG, so refuse it.
  if (entries_.contains(key)) return ApprovalsErrc::internal_error;
  expiry_order_.emplace_back(entry.expires_at, key);
  entries_.emplace(std::move(key), std::move(entry));
  return {};
}

Result<ConsumedChallenge> ChallengeStore::consume(ca::ByteView challenge, ChallengePurpose purpose,
                                                  std::string_view user, TimePoint now) {
  if (challenge.size() != kChallengeBytes) return ApprovalsErrc::challenge_mismatch;
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(key_of(challenge));
  if (found == entries_.end()) return ApprovalsErrc::challenge_mismatch;
  Entry& entry = found->second;
  if (entry.purpose != purpose || entry.user != user) return ApprovalsErrc::challenge_mismatch;
  if (entry.used) return ApprovalsErrc::replayed;
  if (now >= entry.expires_at) {
    entries_.erase(found);
    return ApprovalsErrc::expired;
  }
  entry.used = true;
  return ConsumedChallenge{entry.nonce};
}

void ChallengeStore::prune(TimePoint now) {
  std::lock_guard lock(mutex_);
  prune_locked(now);
}

void ChallengeStore::prune_locked(TimePoint now) {
  // Entries are appended with now + lifetime, so the front expires first (if the clock went back,
  // a later entry may expire first; it is then dropped on a later call or refused by consume).
  while (!expiry_order_.empty() && expiry_order_.front().first <= now) {
    const auto found = entries_.find(expiry_order_.front().second);
    if (found != entries_.end() && found->second.expires_at <= now) entries_.erase(found);
    expiry_order_.pop_front();
  }
}

std::size_t ChallengeStore::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace jit::approvals
