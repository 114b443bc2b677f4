// Admin operations on users' credentials (`jit-broker user enroll|reset|lock|unlock`). Users exist
// because the policy names them; these store and change their credentials, each change audited.
#pragma once

#include "broker/store/store.hpp"
#include "ca/bytes.hpp"
#include "config/policy.hpp"

#include <string>
#include <string_view>

namespace jit::broker {

struct EnrollmentResult {
  std::string otpauth_uri;  // shown once; holds the TOTP secret
};

// Hashes the password (scrypt), makes a new 160-bit TOTP secret sealed under the data key, and
// stores both (replacing earlier ones for `reset`). Throws std::runtime_error with a one-line
// reason: the user is not in policy, the password breaks approvals/password_rules.hpp (under 12
// characters, over 1024 bytes, not one line of UTF-8, or the user's name), or storage failed.
EnrollmentResult enroll_user(Store& store, const config::Policy& policy, ca::ByteView data_key,
                             std::string_view user, std::string_view password, bool reset);

// Locks or unlocks a user by an administrator. Locking also ends the user's sessions. Throws
// std::runtime_error when the user has no credentials.
void set_user_locked(Store& store, std::string_view user, bool locked);

}  // namespace jit::broker
