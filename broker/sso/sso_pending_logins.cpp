#include "broker/sso/sso_pending_logins.hpp"

#include "broker/auth/session_tokens.hpp"
#include "ca/bytes.hpp"

#include <openssl/sha.h>

#include <array>

namespace jit::broker {

std::string pkce_challenge(std::string_view verifier) {
  std::array<std::byte, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return ca::base64url_encode_unpadded(digest);
}

void SsoPendingLogins::prune(Clock::time_point now) {
  for (auto it = logins_.begin(); it != logins_.end();) {
    it = now >= it->second.expires_at ? logins_.erase(it) : std::next(it);
  }
}

std::optional<std::string> SsoPendingLogins::add(PendingSsoLogin login, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  if (logins_.size() >= kMaxPendingSsoLogins) prune(now);
  if (logins_.size() >= kMaxPendingSsoLogins) return std::nullopt;
  std::string handle = random_token();
  login.expires_at = now + kSsoLoginLifetime;
  logins_.emplace(token_hash_hex(handle), std::move(login));
  return handle;
}

std::optional<PendingSsoLogin> SsoPendingLogins::take(const std::string& handle,
                                                      Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  const auto it = logins_.find(token_hash_hex(handle));
  if (it == logins_.end()) return std::nullopt;
  auto login = std::move(it->second);
  logins_.erase(it);
  if (now >= login.expires_at) return std::nullopt;
  return login;
}

std::optional<PendingSsoLogin> SsoPendingLogins::peek(const std::string& handle,
                                                      Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  const auto it = logins_.find(token_hash_hex(handle));
  if (it == logins_.end()) return std::nullopt;
  if (now >= it->second.expires_at) {
    logins_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void SsoPendingLogins::put_back(const std::string& handle, PendingSsoLogin login) {
  const std::lock_guard lock(mutex_);
  logins_[token_hash_hex(handle)] = std::move(login);
}

void SsoPendingLogins::remove(const std::string& handle) {
  const std::lock_guard lock(mutex_);
  logins_.erase(token_hash_hex(handle));
}

}  // namespace jit::broker
