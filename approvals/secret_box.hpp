// Small secrets at rest (the TOTP secret) sealed with AES-256-GCM under the broker's 32-byte data
// key. Sealed form, version 1:
//   0x01 || nonce (12 random bytes) || ciphertext || tag (16 bytes)
// The associated data (for example the user name) is authenticated but not stored, so a sealed
// secret copied to another user's row does not open; the version byte is authenticated too.
#pragma once

#include "approvals/approvals_error.hpp"
#include "ca/bytes.hpp"

namespace jit::approvals {

inline constexpr std::size_t kDataKeyBytes = 32;
inline constexpr std::size_t kMaxSealedPlaintextBytes = 4096;

// 32 random bytes for a new data key.
[[nodiscard]] Result<ca::Bytes> generate_data_key();

// invalid_input: a key that is not 32 bytes, or a plaintext over kMaxSealedPlaintextBytes.
[[nodiscard]] Result<ca::Bytes> seal_secret(ca::ByteView data_key, ca::ByteView plaintext,
                                            ca::ByteView associated_data);

// The plaintext (the caller wipes it after use). invalid_input: wrong key size, too short, unknown
// version. unauthenticated: the tag does not verify (tampering, wrong key or wrong associated
// data).
[[nodiscard]] Result<ca::Bytes> open_secret(ca::ByteView data_key, ca::ByteView sealed,
                                            ca::ByteView associated_data);

}  // namespace jit::approvals
