// Keys the broker derives from its data key (data_key.hpp) with HKDF-SHA256, one per use under a
// distinct label, like Vault's audit HMAC key: a derived key reveals nothing about the data key or
// about another use's key, and none of them is ever written to the database. So a copy of the
// database alone can neither recompute the audit chain nor test guesses against the tags of
// unknown login names.
#pragma once

#include "broker/store/audit_chain.hpp"
#include "ca/bytes.hpp"

#include <string>
#include <string_view>

namespace jit::broker {

// The HMAC key of the audit chain. Throws std::runtime_error if the key cannot be derived.
AuditChainKey audit_chain_key(ca::ByteView data_key);

// What the audit log records for a login name that is no user: 32 hex digits of HMAC-SHA256 under
// a key derived from the data key, so attempts with one name group together while the name cannot
// be found by hashing a dictionary. Throws std::runtime_error if the tag cannot be computed.
std::string unknown_login_name_tag(ca::ByteView data_key, std::string_view name);

// The AES-256-GCM key that seals SSO logins under way in the shared table (PostgreSQL; see
// broker/sso/sso_shared_logins.hpp). Throws std::runtime_error if the key cannot be derived.
ca::Bytes pending_sso_login_key(ca::ByteView data_key);

}  // namespace jit::broker
