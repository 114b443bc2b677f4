// Single-use WebAuthn challenges with a short life (default 2 minutes), in memory. The broker owns
// one instance for the whole process and calls it from any thread (a mutex guards it). Each
// challenge is bound to a purpose and a user name; consume() accepts it once, for that purpose and
// user, before it expires. A consumed challenge is remembered until its expiry so that a second use
// is reported as `replayed` rather than as unknown. Expired entries are pruned on every issue().
//
// Each purpose has a pool of its own (issue 14, B4), so no caller of one purpose can starve
// another: login challenges are handed to anyone (login/begin needs no session) and live in a small
// pool with a quota per source address, whereas registration, presence and approval challenges are
// issued only to authenticated callers (the API checks that) and each pool is large. Every pool
// also keeps at most `per_name` live challenges per user name: a new one pushes that name's oldest
// out, so one name cannot fill a pool and a user's own new challenge is always issued.
//
// Brokers that share a database also share their challenges (share_through, SharedChallenges
// below): each keeps its own pools as above, publishes what it issues, and accepts what the
// others published, once for all of them.
//
// For approvals, issue_for_request() derives the challenge from the request digest and a fresh
// nonce (approval_challenge, request_binding.hpp) and remembers the nonce, so that the verifier can
// recompute the challenge from the request as stored when the approval arrives.
#pragma once

#include "approvals/approvals_error.hpp"
#include "approvals/time_point.hpp"
#include "ca/bytes.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace jit::approvals {

enum class ChallengePurpose {
  registration,  // /v1/webauthn/register/begin -> finish
  login,         // /v1/webauthn/login/begin -> POST /v1/login
  presence,      // a fresh assertion for create-request, break-glass or minting
  approval,      // approve/deny of one request (issue_for_request)
};

inline constexpr std::size_t kChallengeBytes = 32;
// Challenges may be issued for names nobody has (so that login/begin does not reveal who exists),
// so the name is bounded here rather than trusted to be a policy user.
inline constexpr std::size_t kMaxChallengeUserBytes = 256;
inline constexpr std::size_t kMaxChallengeSourceBytes = 64;

struct ChallengePoolLimits {
  std::size_t max_entries;     // issue() answers `unavailable` beyond this, after pruning
  std::size_t per_name;        // live challenges per user name; a new one evicts the oldest
  std::size_t per_source = 0;  // live challenges per source; beyond: `rate_limited` (0: no quota)
};

struct ChallengeStoreLimits {
  std::chrono::seconds lifetime{120};
  // Anonymous: small, and one source holds at most 16 (a browser needs one per sign-in).
  ChallengePoolLimits login{10000, 64, 16};
  // Authenticated callers only, so bounded by the policy's users times per_name as well.
  ChallengePoolLimits registration{20000, 8, 0};
  ChallengePoolLimits presence{50000, 32, 0};
  ChallengePoolLimits approval{50000, 32, 0};
};

// What consume() hands back: the server nonce for an approval challenge, empty otherwise.
struct ConsumedChallenge {
  ca::Bytes nonce;
};

// Where the brokers of one deployment publish their challenges for each other, so that a ceremony
// begun at one broker may end at another behind the same load balancer (docs/architecture.md,
// "Ceremonies across brokers"). The broker implements it on its PostgreSQL database; a single
// broker (SQLite) has none. Calls may block on the database and are made without the store's
// mutex held. Errors are `unavailable` (the database cannot be reached).
class SharedChallenges {
 public:
  struct Taken {
    ca::Bytes nonce;
    TimePoint expires_at;
  };
  virtual ~SharedChallenges() = default;
  // Makes `challenge` (issued for `purpose` and `user`) known to every broker.
  virtual Result<void> publish(ca::ByteView challenge, ChallengePurpose purpose,
                               std::string_view user, ca::ByteView nonce, TimePoint expires_at) = 0;
  // Takes it out for good if it was published for `purpose` and `user`; nullopt when no broker
  // has it (never published, used already, or for another purpose or user, which leaves it).
  virtual Result<std::optional<Taken>> take(ca::ByteView challenge, ChallengePurpose purpose,
                                            std::string_view user) = 0;
  // Forgets it (pushed out of a full pool before use).
  virtual void withdraw(ca::ByteView challenge, ChallengePurpose purpose) = 0;
};

class ChallengeStore {
 public:
  explicit ChallengeStore(ChallengeStoreLimits limits = {});

  // Publishes every challenge issued from now on to `shared` and accepts the ones other brokers
  // published there. Set once, before the store is used; `shared` outlives the store.
  void share_through(SharedChallenges* shared) { shared_ = shared; }

  // 32 random bytes, valid until now + lifetime, counted against `source`'s quota in the purpose's
  // pool (an empty source has none; the broker always passes the peer's address for login).
  // unavailable when the purpose's pool is full after pruning; rate_limited when the source has
  // its quota of live challenges; invalid_input for a user name over kMaxChallengeUserBytes or a
  // source over kMaxChallengeSourceBytes; internal_error when the RNG fails.
  [[nodiscard]] Result<ca::Bytes> issue(ChallengePurpose purpose, std::string_view user,
                                        std::string_view source, TimePoint now);
  [[nodiscard]] Result<ca::Bytes> issue(ChallengePurpose purpose, std::string_view user,
                                        TimePoint now) {
    return issue(purpose, user, {}, now);
  }

  // approval_challenge(request_digest, nonce) for a fresh 32-byte nonce; purpose `approval`.
  // invalid_input when request_digest is not 32 bytes.
  [[nodiscard]] Result<ca::Bytes> issue_for_request(ca::ByteView request_digest,
                                                    std::string_view user, TimePoint now);

  // Exactly once per issued challenge, across the brokers that share challenges.
  // challenge_mismatch: never issued (or long gone), or issued for another purpose or user (which
  // does not use it up), or consumed at another broker; replayed: already consumed here; expired:
  // now >= issue time + lifetime; unavailable: the shared challenges cannot be reached.
  [[nodiscard]] Result<ConsumedChallenge> consume(ca::ByteView challenge, ChallengePurpose purpose,
                                                  std::string_view user, TimePoint now);

  // Drops every entry that expired at or before `now` (issue() does this itself).
  void prune(TimePoint now);

  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::size_t size(ChallengePurpose purpose) const;

 private:
  struct Entry {
    std::string user;
    std::string source;
    TimePoint expires_at;
    ca::Bytes nonce;
    bool used = false;
  };
  struct Pool {
    ChallengePoolLimits limits{0, 0, 0};
    std::unordered_map<std::string, Entry> entries;
    // Keys in issue order with their expiry, for pruning from the front.
    std::deque<std::pair<TimePoint, std::string>> expiry_order;
    std::unordered_map<std::string, std::deque<std::string>> keys_by_name;  // in issue order
    std::unordered_map<std::string, std::size_t> count_by_source;
  };
  static constexpr std::size_t kPurposes = 4;

  // Adds the entry, then publishes it when challenges are shared.
  Result<void> insert(ChallengePurpose purpose, const ca::Bytes& challenge, Entry entry,
                      TimePoint now);
  // The pool's part of insert(); the keys of the name's entries it pushed out go to `evicted`.
  Result<void> insert_locally(ChallengePurpose purpose, const std::string& key, Entry entry,
                              TimePoint now, std::vector<std::string>& evicted);
  // consume() of a challenge this broker does not hold: another broker's, if any. Unlocks `lock`.
  Result<ConsumedChallenge> consume_shared(ca::ByteView challenge, ChallengePurpose purpose,
                                           std::string_view user, TimePoint now,
                                           std::unique_lock<std::mutex>& lock);
  Pool& pool_of(ChallengePurpose purpose) { return pools_[static_cast<std::size_t>(purpose)]; }
  static void prune_locked(Pool& pool, TimePoint now);
  static void erase_locked(Pool& pool, const std::string& key);
  static void compact_locked(Pool& pool);

  std::chrono::seconds lifetime_;
  SharedChallenges* shared_ = nullptr;
  mutable std::mutex mutex_;
  std::array<Pool, kPurposes> pools_;
};

}  // namespace jit::approvals
