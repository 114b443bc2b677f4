// Password hashes with scrypt (OpenSSL EVP_KDF "SCRYPT"). The stored string describes itself:
//   $scrypt$ln=14,r=8,p=2$<base64 salt>$<base64 hash>
// (standard base64 with padding, 16-byte random salt, 32-byte hash), so the cost can be raised
// later and old hashes still verify; needs_rehash() tells the caller when to store a fresh hash
// after a successful login.
#pragma once

#include "approvals/approvals_error.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace jit::approvals {

struct ScryptParams {
  std::uint32_t log2_n = 14;  // N = 2^log2_n
  std::uint32_t r = 8;
  std::uint32_t p = 2;
  friend bool operator==(const ScryptParams&, const ScryptParams&) = default;
};

// The production cost: N = 2^14, r = 8, p = 2: a 16 MiB table, about 60 ms per hash on one core of
// our build machine (tests/approvals/password_hash_test.cpp DefaultCostFigures prints it). Not
// N = 2^15, p = 1: its 32 MiB table is above glibc's largest mmap threshold, so every call maps and
// faults in fresh pages and costs about 160 ms here; p = 2 doubles the work and keeps the memory.
inline constexpr ScryptParams kDefaultScryptParams{};

// Bounds for parameters, checked both when hashing and when reading a stored hash, so that a
// tampered database cannot make a login allocate gigabytes: 1 <= log2_n <= 20, 1 <= r <= 32,
// 1 <= p <= 16, and 128 * r * N <= 256 MiB.
[[nodiscard]] bool scrypt_params_allowed(const ScryptParams& params) noexcept;

// Longest password accepted (bytes); longer ones are invalid_input, never silently truncated.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// A new salted hash. invalid_input: empty or over-long password, parameters out of bounds.
[[nodiscard]] Result<std::string> hash_password(std::string_view password,
                                                const ScryptParams& params = kDefaultScryptParams);

// Success when the password matches (compared in constant time). unauthenticated: wrong password.
// invalid_input: the stored string does not parse, or the password is over-long.
[[nodiscard]] Result<void> verify_password(std::string_view password, std::string_view stored);

// Costs what verify_password costs with these parameters, then fails with unauthenticated. Call it
// for an unknown user so that the answer and its timing match a wrong password.
[[nodiscard]] Result<void> dummy_verify(std::string_view password,
                                        const ScryptParams& params = kDefaultScryptParams);

// True when the stored hash should be replaced: other parameters than `current`, another salt size,
// or a string that does not parse.
[[nodiscard]] bool needs_rehash(std::string_view stored,
                                const ScryptParams& current = kDefaultScryptParams);

}  // namespace jit::approvals
