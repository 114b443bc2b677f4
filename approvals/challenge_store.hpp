// Single-use WebAuthn challenges with a short life (default 2 minutes), in memory. The broker owns
// one instance for the whole process and calls it from any thread (a mutex guards it). Each
// challenge is bound to a purpose and a user name; consume() accepts it once, for that purpose and
// user, before it expires. A consumed challenge is remembered until its expiry so that a second use
// is reported as `replayed` rather than as unknown. Expired entries are pruned on every issue().
//
// For approvals, issue_for_request() derives the challenge from the request digest and a fresh
// nonce (approval_challenge, request_binding.hpp) and remembers the nonce, so that the verifier can
// recompute the challenge from the request as stored when the approval arrives.
#pragma once

#include "approvals/approvals_error.hpp"
#include "approvals/time_point.hpp"
#include "ca/bytes.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

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

struct ChallengeStoreLimits {
  std::chrono::seconds lifetime{120};
  std::size_t max_entries = 100000;  // issue() answers `unavailable` beyond this
};

// What consume() hands back: the server nonce for an approval challenge, empty otherwise.
struct ConsumedChallenge {
  ca::Bytes nonce;
};

class ChallengeStore {
 public:
  explicit ChallengeStore(ChallengeStoreLimits limits = {});

  // 32 random bytes, valid until now + lifetime. unavailable when the store is full after pruning;
  // invalid_input for a user name over kMaxChallengeUserBytes; internal_error when the RNG fails.
  [[nodiscard]] Result<ca::Bytes> issue(ChallengePurpose purpose, std::string_view user,
                                        TimePoint now);

  // approval_challenge(request_digest, nonce) for a fresh 32-byte nonce; purpose `approval`.
  // invalid_input when request_digest is not 32 bytes.
  [[nodiscard]] Result<ca::Bytes> issue_for_request(ca::ByteView request_digest,
                                                    std::string_view user, TimePoint now);

  // Exactly once per issued challenge. challenge_mismatch: never issued (or long gone), or issued
  // for another purpose or user (which does not use it up); replayed: already consumed; expired:
  // now >= issue time + lifetime.
  [[nodiscard]] Result<ConsumedChallenge> consume(ca::ByteView challenge, ChallengePurpose purpose,
                                                  std::string_view user, TimePoint now);

  // Drops every entry that expired at or before `now` (issue() does this itself).
  void prune(TimePoint now);

  [[nodiscard]] std::size_t size() const;

 private:
  struct Entry {
    ChallengePurpose purpose;
    std::string user;
    TimePoint expires_at;
    ca::Bytes nonce;
    bool used = false;
  };

  Result<void> insert(const ca::Bytes& challenge, Entry entry, TimePoint now);
  void prune_locked(TimePoint now);

  ChallengeStoreLimits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  // Keys in issue order with their expiry, for pruning from the front.
  std::deque<std::pair<TimePoint, std::string>> expiry_order_;
};

}  // namespace jit::approvals
