#include "approvals/password_hash.hpp"

#include "approvals/secure_random.hpp"
#include "ca/bytes.hpp"
#include "ca/openssl_handles.hpp"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include <array>
#include <charconv>
#include <cstddef>

namespace jit::approvals {
namespace {

constexpr std::string_view kPrefix = "$scrypt$";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kMinStoredSaltBytes = 16;
constexpr std::size_t kMaxStoredSaltBytes = 64;
constexpr std::size_t kHashBytes = 32;
constexpr std::uint64_t kMaxScryptMemory = 256ULL * 1024 * 1024;

struct ParsedHash {
  ScryptParams params;
  ca::Bytes salt;
  ca::Bytes hash;
};

// scrypt's large table is 128 * r * N bytes; the per-lane buffer adds 128 * r * p.
std::uint64_t scrypt_memory(const ScryptParams& params) noexcept {
  return 128ULL * params.r * ((1ULL << params.log2_n) + 2) + 128ULL * params.r * params.p;
}

Result<void> derive(std::string_view password, ca::ByteView salt, const ScryptParams& params,
                    std::span<std::byte> out) {
  if (!scrypt_params_allowed(params)) return ApprovalsErrc::invalid_input;
  ca::clear_openssl_errors();
  ca::EvpKdfPtr kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
  if (!kdf) return ApprovalsErrc::internal_error;
  ca::EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return ApprovalsErrc::internal_error;
  std::uint64_t n = 1ULL << params.log2_n;
  std::uint32_t r = params.r;
  std::uint32_t p = params.p;
  // OpenSSL's default limit (32 MiB) is below some allowed costs; our own bound applies instead.
  std::uint64_t max_memory = scrypt_memory(params) + 1024 * 1024;
  // OSSL_PARAM takes non-const pointers but EVP_KDF_derive only reads them. An empty string_view
  // may hold a null pointer; the parameter then points at `empty` so that it is never NULL.
  static char empty = 0;
  char* password_data = password.empty() ? &empty : const_cast<char*>(password.data());
  const OSSL_PARAM settings[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, password_data, password.size()),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_SALT, const_cast<unsigned char*>(ca::as_uchars(salt)), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &max_memory),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_KDF_derive(ctx.get(), ca::as_uchars(out), out.size(), settings) != 1) {
    return ApprovalsErrc::internal_error;
  }
  return {};
}

// A decimal without sign or leading zeros, as written by encode().
bool parse_decimal(std::string_view text, std::uint32_t& out) {
  if (text.empty() || text.size() > 9 || (text.size() > 1 && text[0] == '0')) return false;
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return false;
  out = value;
  return true;
}

bool take_field(std::string_view& rest, std::string_view name, char terminator,
                std::uint32_t& out) {
  if (!rest.starts_with(name)) return false;
  rest.remove_prefix(name.size());
  const std::size_t end = rest.find(terminator);
  if (end == std::string_view::npos || !parse_decimal(rest.substr(0, end), out)) return false;
  rest.remove_prefix(end + 1);
  return true;
}

Result<ParsedHash> parse(std::string_view stored) {
  if (!stored.starts_with(kPrefix)) return ApprovalsErrc::invalid_input;
  std::string_view rest = stored.substr(kPrefix.size());
  ParsedHash parsed;
  if (!take_field(rest, "ln=", ',', parsed.params.log2_n) ||
      !take_field(rest, "r=", ',', parsed.params.r) ||
      !take_field(rest, "p=", '$', parsed.params.p)) {
    return ApprovalsErrc::invalid_input;
  }
  if (!scrypt_params_allowed(parsed.params)) return ApprovalsErrc::invalid_input;
  const std::size_t separator = rest.find('$');
  if (separator == std::string_view::npos) return ApprovalsErrc::invalid_input;
  if (!ca::base64_decode(rest.substr(0, separator), parsed.salt) ||
      !ca::base64_decode(rest.substr(separator + 1), parsed.hash)) {
    return ApprovalsErrc::invalid_input;
  }
  if (parsed.salt.size() < kMinStoredSaltBytes || parsed.salt.size() > kMaxStoredSaltBytes ||
      parsed.hash.size() != kHashBytes) {
    return ApprovalsErrc::invalid_input;
  }
  return parsed;
}

std::string encode(const ScryptParams& params, ca::ByteView salt, ca::ByteView hash) {
  std::string out(kPrefix);
  out += "ln=" + std::to_string(params.log2_n) + ",r=" + std::to_string(params.r) +
         ",p=" + std::to_string(params.p) + "$";
  out += ca::base64_encode(salt);
  out += '$';
  out += ca::base64_encode(hash);
  return out;
}

}  // namespace

bool scrypt_params_allowed(const ScryptParams& params) noexcept {
  if (params.log2_n < 1 || params.log2_n > 20) return false;
  if (params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return false;
  return 128ULL * params.r * (1ULL << params.log2_n) <= kMaxScryptMemory;
}

Result<std::string> hash_password(std::string_view password, const ScryptParams& params) {
  if (password.empty() || password.size() > kMaxPasswordBytes) return ApprovalsErrc::invalid_input;
  if (!scrypt_params_allowed(params)) return ApprovalsErrc::invalid_input;
  auto salt = random_bytes(kSaltBytes);
  if (!salt) return salt.error();
  std::array<std::byte, kHashBytes> hash{};
  auto derived = derive(password, *salt, params, hash);
  if (!derived) return derived.error();
  std::string encoded = encode(params, *salt, hash);
  ca::wipe(hash);
  return encoded;
}

Result<void> verify_password(std::string_view password, std::string_view stored) {
  if (password.size() > kMaxPasswordBytes) return ApprovalsErrc::invalid_input;
  auto parsed = parse(stored);
  if (!parsed) return parsed.error();
  std::array<std::byte, kHashBytes> candidate{};
  auto derived = derive(password, parsed->salt, parsed->params, candidate);
  if (!derived) return derived.error();
  const bool equal = ca::constant_time_equal(candidate, parsed->hash);
  ca::wipe(candidate);
  if (!equal) return ApprovalsErrc::unauthenticated;
  return {};
}

Result<void> dummy_verify(std::string_view password, const ScryptParams& params) {
  if (password.size() > kMaxPasswordBytes) return ApprovalsErrc::invalid_input;
  // A fixed salt is fine here: nothing derived from it is ever stored or accepted.
  static constexpr std::array<std::byte, kSaltBytes> kDummySalt{};
  static constexpr std::array<std::byte, kHashBytes> kDummyHash{};
  std::array<std::byte, kHashBytes> candidate{};
  auto derived = derive(password, kDummySalt, params, candidate);
  if (!derived) return derived.error();
  // Compare as verify_password does, so the two paths do the same work; the result is ignored.
  [[maybe_unused]] const bool equal = ca::constant_time_equal(candidate, kDummyHash);
  ca::wipe(candidate);
  return ApprovalsErrc::unauthenticated;
}

bool needs_rehash(std::string_view stored, const ScryptParams& current) {
  auto parsed = parse(stored);
  if (!parsed) return true;
  return !(parsed->params == current) || parsed->salt.size() != kSaltBytes;
}

}  // namespace jit::approvals
