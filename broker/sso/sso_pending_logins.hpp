// SSO logins under way (docs/sso.md, "How sign-in works"): what the broker must remember between
// sending someone to the identity provider and their coming back: the state handle's nonce, PKCE
// verifier or challenge, exact redirect URI, the browser binding, or the device code. Kept in
// memory, keyed by the SHA-256 of the handle (a lookup reveals nothing about other handles by its
// timing), each usable once and for 10 minutes, at most kMaxPendingSsoLogins at a time (an
// anonymous caller starts them). A restart forgets them: the user signs in again.
//
// On PostgreSQL each login is also written, sealed with the data key, to the shared
// pending_ceremonies table (docs/architecture.md, "Ceremonies across brokers"), so that a user who
// left from one broker may come back to another: take() spends a login at every broker at once.
#pragma once

#include "broker/store/store.hpp"
#include "ca/bytes.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace jit::broker {

inline constexpr std::chrono::seconds kSsoLoginLifetime{600};
inline constexpr std::size_t kMaxPendingSsoLogins = 10'000;

enum class SsoFlow { web, cli, device };

struct PendingSsoLogin {
  std::string provider;
  SsoFlow flow = SsoFlow::web;
  std::string nonce;
  std::string code_verifier;   // web: the broker's own PKCE verifier
  std::string code_challenge;  // cli: the CLI's S256 challenge (it keeps the verifier)
  std::string redirect_uri;    // sent in the authorization request, again at the token endpoint
  std::string binding_hash;    // web: SHA-256 (hex) of the __Host-jit_sso cookie's value
  std::string next;            // web: the page path to land on
  std::string device_code;     // device: the provider's device_code (never leaves the broker)
  std::chrono::seconds interval{5};                   // device: the provider's poll interval
  std::chrono::steady_clock::time_point next_poll{};  // device: earliest poll passed on
  std::chrono::steady_clock::time_point expires_at{};
};

class SsoPendingLogins {
 public:
  using Clock = std::chrono::steady_clock;

  // Shares every login from now on through `store`'s pending_ceremonies table, sealed with
  // `seal_key` (pending_sso_login_key). Called once, before any login; `store` outlives this.
  void share_through(Store& store, ca::Bytes seal_key);

  // A new random handle for `login` (expires_at is set here). rate_limited when too many are
  // pending here; unavailable when the shared table cannot be written.
  Result<std::string> add(PendingSsoLogin login, Clock::time_point now);
  // The login for `handle` if live, removed here and from the shared table: a handle is used once.
  // A login another broker began is taken from the shared table; nullopt when no broker has it.
  // unavailable when the shared table cannot be reached (a login begun here is spent anyway).
  Result<std::optional<PendingSsoLogin>> take(const std::string& handle, Clock::time_point now);
  // The device login for `handle` if live, left in place (it is polled several times); errors as
  // take().
  Result<std::optional<PendingSsoLogin>> peek(const std::string& handle, Clock::time_point now);
  // Keeps `login` (its poll pace) here, and its interval in the shared table.
  void put_back(const std::string& handle, PendingSsoLogin login);
  void remove(const std::string& handle);

 private:
  void prune(Clock::time_point now);

  std::mutex mutex_;
  std::map<std::string, PendingSsoLogin> logins_;  // by SHA-256 hex of the handle
  Store* store_ = nullptr;                         // set by share_through (PostgreSQL)
  ca::Bytes seal_key_;
};

// S256 PKCE challenge of a verifier (RFC 7636 section 4.2): base64url(SHA-256(verifier)).
std::string pkce_challenge(std::string_view verifier);

}  // namespace jit::broker
