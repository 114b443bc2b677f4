#include "broker/sso/sso_pending_logins.hpp"

#include "broker/auth/session_tokens.hpp"
#include "broker/sso/sso_shared_logins.hpp"
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

void SsoPendingLogins::share_through(Store& store, ca::Bytes seal_key) {
  store_ = &store;
  seal_key_ = std::move(seal_key);
}

Result<std::string> SsoPendingLogins::add(PendingSsoLogin login, Clock::time_point now) {
  std::string handle = random_token();
  const std::string key = token_hash_hex(handle);
  login.expires_at = now + kSsoLoginLifetime;
  {
    const std::lock_guard lock(mutex_);
    if (logins_.size() >= kMaxPendingSsoLogins) prune(now);
    if (logins_.size() >= kMaxPendingSsoLogins) return BrokerErrc::rate_limited;
    logins_.emplace(key, login);
  }
  if (store_ != nullptr && !publish_shared(*store_, seal_key_, key, login, now)) {
    remove(handle);  // usable nowhere: the caller answers 503 and the user tries again
    return BrokerErrc::unavailable;
  }
  return handle;
}

Result<std::optional<PendingSsoLogin>> SsoPendingLogins::take(const std::string& handle,
                                                              Clock::time_point now) {
  const std::string key = token_hash_hex(handle);
  std::optional<PendingSsoLogin> login;
  {
    const std::lock_guard lock(mutex_);
    if (const auto it = logins_.find(key); it != logins_.end()) {
      login = std::move(it->second);
      logins_.erase(it);
    }
  }
  // Shared: the row is the login, wherever it began (the same handle may have reached another
  // broker first); the copy here only went with it.
  if (store_ != nullptr) return shared_login(*store_, seal_key_, key, true, now);
  if (login && now >= login->expires_at) login.reset();
  return login;
}

Result<std::optional<PendingSsoLogin>> SsoPendingLogins::peek(const std::string& handle,
                                                              Clock::time_point now) {
  const std::string key = token_hash_hex(handle);
  if (store_ != nullptr) {
    // The shared row is the login: it is gone once any broker finished it, and it has the
    // interval of the provider's last slow_down. Only the pace of this broker's polls is local.
    auto shared = shared_login(*store_, seal_key_, key, false, now);
    if (!shared) return shared.error();
    const std::lock_guard lock(mutex_);
    const auto it = logins_.find(key);
    if (!*shared) {
      if (it != logins_.end()) logins_.erase(it);
      return shared;
    }
    if (it != logins_.end()) (*shared)->next_poll = it->second.next_poll;
    return shared;
  }
  const std::lock_guard lock(mutex_);
  const auto it = logins_.find(key);
  if (it == logins_.end()) return std::optional<PendingSsoLogin>();
  if (now >= it->second.expires_at) {
    logins_.erase(it);
    return std::optional<PendingSsoLogin>();
  }
  return std::optional<PendingSsoLogin>(it->second);
}

void SsoPendingLogins::put_back(const std::string& handle, PendingSsoLogin login) {
  const std::string key = token_hash_hex(handle);
  if (store_ != nullptr) replace_shared(*store_, seal_key_, key, login);
  const std::lock_guard lock(mutex_);
  logins_[key] = std::move(login);
}

void SsoPendingLogins::remove(const std::string& handle) {
  const std::string key = token_hash_hex(handle);
  if (store_ != nullptr) forget_shared(*store_, key);
  const std::lock_guard lock(mutex_);
  logins_.erase(key);
}

}  // namespace jit::broker
