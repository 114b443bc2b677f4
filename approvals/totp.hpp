// HOTP (RFC 4226) and TOTP (RFC 6238), base32 secrets (RFC 4648) and the otpauth:// provisioning
// URI. The broker uses the defaults (SHA-1, 6 digits, 30 s, one step either side); the other hashes
// and 8 digits exist for the RFC test vectors. Times are whole seconds since the Unix epoch as
// std::chrono::sys_seconds, because one RFC vector (t = 20000000000) is past the year 2262 that a
// nanosecond system_clock can represent; pass std::chrono::floor<std::chrono::seconds>(now).
#pragma once

#include "approvals/approvals_error.hpp"
#include "ca/bytes.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jit::approvals {

enum class OtpHash { sha1, sha256, sha512 };

struct TotpParams {
  OtpHash hash = OtpHash::sha1;
  unsigned digits = 6;       // 6 to 8
  std::int64_t period = 30;  // seconds per step, 1 to 300
  std::int64_t t0 = 0;       // Unix time of step 0
  unsigned window = 1;       // steps accepted either side of the current one, 0 to 2
};

// Secrets must be 16 to 128 bytes (RFC 4226 asks for at least 128 bits).
inline constexpr std::size_t kMinOtpSecretBytes = 16;
inline constexpr std::size_t kMaxOtpSecretBytes = 128;
// New secrets are 160 bits, as RFC 4226 recommends.
inline constexpr std::size_t kTotpSecretBytes = 20;

// The code for one counter value, left-padded with zeros. invalid_input: bad secret size or digits.
[[nodiscard]] Result<std::string> hotp_code(ca::ByteView secret, std::uint64_t counter,
                                            unsigned digits = 6, OtpHash hash = OtpHash::sha1);

// floor((now - t0) / period). invalid_input for a time before t0 or bad params.
[[nodiscard]] Result<std::uint64_t> totp_step(std::chrono::sys_seconds now,
                                              const TotpParams& params = {});

[[nodiscard]] Result<std::string> totp_code(ca::ByteView secret, std::chrono::sys_seconds now,
                                            const TotpParams& params = {});

// Whole seconds from `now` until the next step begins (1 to period): how long someone whose code
// was refused as `replayed` waits for their authenticator to show a code that is not used yet.
// invalid_input for a time before t0 or bad params.
[[nodiscard]] Result<std::int64_t> seconds_until_next_totp_step(std::chrono::sys_seconds now,
                                                                const TotpParams& params = {});

// Checks a submitted code against the steps now - window .. now + window and returns the step it
// matched, which the caller stores as the new last_used_step (in the same transaction that checks
// it). Each candidate is compared in constant time. Errors:
//   invalid_input    the code is not exactly `digits` ASCII digits, or bad secret/params;
//   replayed         the code matches only steps <= last_used_step (already used once);
//   unauthenticated  the code matches no step in the window.
[[nodiscard]] Result<std::uint64_t> verify_totp(ca::ByteView secret, std::string_view code,
                                                std::chrono::sys_seconds now,
                                                std::optional<std::uint64_t> last_used_step,
                                                const TotpParams& params = {});

// 160 random bits for a new enrolment.
[[nodiscard]] Result<ca::Bytes> generate_totp_secret();

// RFC 4648 base32, upper case, no padding.
[[nodiscard]] std::string base32_encode(ca::ByteView data);
// Strict inverse of base32_encode: upper-case alphabet only, no padding or spaces, a length that an
// encoding can have, and zero unused bits. invalid_input otherwise.
[[nodiscard]] Result<ca::Bytes> base32_decode(std::string_view text);

// otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
// with the label parts and the issuer percent-encoded (RFC 3986 unreserved characters stay).
// invalid_input: empty account or issuer, bad secret or params.
[[nodiscard]] Result<std::string> otpauth_uri(std::string_view account, ca::ByteView secret,
                                              const TotpParams& params = {},
                                              std::string_view issuer = "jitbroker");

// Percent-encodes every byte except A-Z a-z 0-9 - . _ ~ (RFC 3986 section 2.3).
[[nodiscard]] std::string percent_encode(std::string_view text);

}  // namespace jit::approvals
