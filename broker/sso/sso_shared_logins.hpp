// The rows of SSO logins under way in the shared pending_ceremonies table (PostgreSQL; see
// sso_pending_logins.hpp), keyed by `key`, the token_hash_hex of the login's handle. The payload is
// the login as JSON, sealed (approvals/secret_box.hpp) with a key derived from the data key
// (pending_sso_login_key, broker/auth/derived_keys.hpp) under associated data naming the row,
// since it carries the PKCE verifier or the provider's device code. The row's
// expiry is on the system clock, which the brokers of a deployment share (NTP); a login read back
// gets the time it has left on this broker's steady clock.
#pragma once

#include "broker/sso/sso_pending_logins.hpp"

namespace jit::broker {

// False when the row cannot be sealed or written.
bool publish_shared(Store& store, ca::ByteView seal_key, const std::string& key,
                    const PendingSsoLogin& login, std::chrono::steady_clock::time_point now);
// The row as a login, removed when `take`; nullopt when absent, expired or not opened by the key;
// BrokerErrc::unavailable when the table cannot be reached.
Result<std::optional<PendingSsoLogin>> shared_login(Store& store, ca::ByteView seal_key,
                                                    const std::string& key, bool take,
                                                    std::chrono::steady_clock::time_point now);
// Deletes the row (a device login ended); a table that cannot be reached leaves it to expire.
void forget_shared(Store& store, const std::string& key);
// The login's new poll interval for the other brokers (after a slow_down from the provider).
void replace_shared(Store& store, ca::ByteView seal_key, const std::string& key,
                    const PendingSsoLogin& login);

}  // namespace jit::broker
