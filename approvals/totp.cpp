#include "approvals/totp.hpp"

#include "approvals/secure_random.hpp"
#include "ca/openssl_handles.hpp"

#include <openssl/hmac.h>

#include <array>
#include <vector>

namespace jit::approvals {
namespace {

constexpr std::uint32_t kPowersOfTen[] = {1,      10,      100,      1000,     10000,
                                          100000, 1000000, 10000000, 100000000};

const EVP_MD* digest_of(OtpHash hash) {
  switch (hash) {
    case OtpHash::sha1:
      return EVP_sha1();
    case OtpHash::sha256:
      return EVP_sha256();
    case OtpHash::sha512:
      return EVP_sha512();
  }
  return nullptr;
}

std::string_view name_of(OtpHash hash) {
  switch (hash) {
    case OtpHash::sha1:
      return "SHA1";
    case OtpHash::sha256:
      return "SHA256";
    case OtpHash::sha512:
      return "SHA512";
  }
  return "SHA1";
}

bool secret_allowed(ca::ByteView secret) {
  return secret.size() >= kMinOtpSecretBytes && secret.size() <= kMaxOtpSecretBytes;
}

bool params_allowed(const TotpParams& params) {
  return params.digits >= 6 && params.digits <= 8 && params.period >= 1 && params.period <= 300 &&
         params.window <= 2 && digest_of(params.hash) != nullptr;
}

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

}  // namespace

Result<std::string> hotp_code(ca::ByteView secret, std::uint64_t counter, unsigned digits,
                              OtpHash hash) {
  const EVP_MD* md = digest_of(hash);
  if (!secret_allowed(secret) || digits < 6 || digits > 8 || md == nullptr) {
    return ApprovalsErrc::invalid_input;
  }
  std::array<unsigned char, 8> message{};
  for (int i = 7; i >= 0; --i) {
    message[static_cast<std::size_t>(i)] = static_cast<unsigned char>(counter & 0xFF);
    counter >>= 8;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  ca::clear_openssl_errors();
  if (HMAC(md, ca::as_uchars(secret), static_cast<int>(secret.size()), message.data(),
           message.size(), mac.data(), &mac_size) == nullptr ||
      mac_size < 20) {
    return ApprovalsErrc::internal_error;
  }
  // Dynamic truncation (RFC 4226 section 5.3); the offset is at most 15, so offset + 3 < 20.
  const unsigned offset = mac[mac_size - 1] & 0x0FU;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7FU) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(mac[offset + 3]);
  std::uint32_t value = binary % kPowersOfTen[digits];
  std::string code(digits, '0');
  for (std::size_t i = digits; i-- > 0;) {
    code[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  OPENSSL_cleanse(mac.data(), mac.size());
  return code;
}

Result<std::uint64_t> totp_step(std::chrono::sys_seconds now, const TotpParams& params) {
  if (!params_allowed(params)) return ApprovalsErrc::invalid_input;
  const std::int64_t seconds = now.time_since_epoch().count();
  if (seconds < params.t0) return ApprovalsErrc::invalid_input;
  // Unsigned difference: t0 may be negative, and seconds - t0 then still fits in 64 bits.
  const std::uint64_t elapsed =
      static_cast<std::uint64_t>(seconds) - static_cast<std::uint64_t>(params.t0);
  return elapsed / static_cast<std::uint64_t>(params.period);
}

Result<std::int64_t> seconds_until_next_totp_step(std::chrono::sys_seconds now,
                                                  const TotpParams& params) {
  auto step = totp_step(now, params);
  if (!step) return step.error();
  // Computed from the step, not from `now % period`, so a negative t0 is handled as totp_step does.
  const std::uint64_t elapsed = static_cast<std::uint64_t>(now.time_since_epoch().count()) -
                                static_cast<std::uint64_t>(params.t0);
  const std::uint64_t next_start = (*step + 1) * static_cast<std::uint64_t>(params.period);
  return static_cast<std::int64_t>(next_start - elapsed);
}

Result<std::string> totp_code(ca::ByteView secret, std::chrono::sys_seconds now,
                              const TotpParams& params) {
  auto step = totp_step(now, params);
  if (!step) return step.error();
  return hotp_code(secret, *step, params.digits, params.hash);
}

Result<std::uint64_t> verify_totp(ca::ByteView secret, std::string_view code,
                                  std::chrono::sys_seconds now,
                                  std::optional<std::uint64_t> last_used_step,
                                  const TotpParams& params) {
  if (!params_allowed(params) || !secret_allowed(secret)) return ApprovalsErrc::invalid_input;
  if (code.size() != params.digits) return ApprovalsErrc::invalid_input;
  for (char c : code) {
    if (c < '0' || c > '9') return ApprovalsErrc::invalid_input;
  }
  auto current = totp_step(now, params);
  if (!current) return current.error();
  const std::uint64_t first = *current >= params.window ? *current - params.window : 0;
  const std::uint64_t last = *current + params.window;

  // Every candidate is computed and compared, so the time taken does not say which one matched.
  std::optional<std::uint64_t> accepted;
  bool matched_used_step = false;
  for (std::uint64_t step = first; step <= last; ++step) {
    auto expected = hotp_code(secret, step, params.digits, params.hash);
    if (!expected) return expected.error();
    const bool equal = ca::constant_time_equal(ca::as_bytes(*expected), ca::as_bytes(code));
    ca::wipe(*expected);
    if (!equal) continue;
    if (last_used_step && step <= *last_used_step) {
      matched_used_step = true;
    } else {
      accepted = step;  // the loop ascends, so a later step that also matches wins
    }
  }
  if (accepted) return *accepted;
  if (matched_used_step) return ApprovalsErrc::replayed;
  return ApprovalsErrc::unauthenticated;
}

Result<ca::Bytes> generate_totp_secret() { return random_bytes(kTotpSecretBytes); }

std::string base32_encode(ca::ByteView data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::byte b : data) {
    buffer = (buffer << 8) | std::to_integer<std::uint32_t>(b);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += kBase32[(buffer >> bits) & 31U];
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31U];
  return out;
}

Result<ca::Bytes> base32_decode(std::string_view text) {
  // A final group of 8 symbols can end after 2, 4, 5 or 7 symbols (1 to 4 bytes); never 1, 3 or 6.
  const std::size_t tail = text.size() % 8;
  if (tail == 1 || tail == 3 || tail == 6) return ApprovalsErrc::invalid_input;
  ca::Bytes out;
  out.reserve(text.size() * 5 / 8);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    if (c >= '2' && c <= '7') value = c - '2' + 26;
    if (value < 0) return ApprovalsErrc::invalid_input;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::byte>((buffer >> bits) & 0xFFU));
    }
  }
  if (bits > 0 && (buffer & ((1U << bits) - 1)) != 0) return ApprovalsErrc::invalid_input;
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') ||
                            (u >= '0' && u <= '9') || u == '-' || u == '.' || u == '_' || u == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15U];
    }
  }
  return out;
}

Result<std::string> otpauth_uri(std::string_view account, ca::ByteView secret,
                                const TotpParams& params, std::string_view issuer) {
  if (account.empty() || issuer.empty() || !secret_allowed(secret) || !params_allowed(params) ||
      params.t0 != 0) {
    return ApprovalsErrc::invalid_input;
  }
  const std::string encoded_issuer = percent_encode(issuer);
  std::string uri = "otpauth://totp/";
  uri += encoded_issuer;
  uri += ':';
  uri += percent_encode(account);
  uri += "?secret=";
  uri += base32_encode(secret);
  uri += "&issuer=";
  uri += encoded_issuer;
  uri += "&algorithm=";
  uri += name_of(params.hash);
  uri += "&digits=" + std::to_string(params.digits);
  uri += "&period=" + std::to_string(params.period);
  return uri;
}

}  // namespace jit::approvals
