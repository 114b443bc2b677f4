// X.509 certificate serial numbers (RFC 5280 4.1.2.2): positive, at most 20 octets once
// DER-encoded. Held as a canonical big-endian magnitude (no leading zero octet) in a fixed buffer,
// so that CRLs with 100,000 entries sort without allocating; hex() is the form the broker stores.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace jit::ca {

class X509Serial {
 public:
  static constexpr std::size_t kMaxOctets = 20;

  // A magnitude of 1..20 octets, no leading zero, not zero; 20 octets only with the top bit clear
  // (the DER INTEGER would otherwise need a 21st sign octet). invalid_argument otherwise.
  [[nodiscard]] static Result<X509Serial> from_bytes(ByteView magnitude);
  // Hex digits (either case) of such a magnitude, e.g. "4f3a..."; malformed when not hex of even
  // length, invalid_argument when the value breaks the rules above.
  [[nodiscard]] static Result<X509Serial> from_hex(std::string_view hex);

  [[nodiscard]] ByteView bytes() const noexcept { return ByteView(octets_.data(), size_); }
  [[nodiscard]] std::string hex() const { return hex_encode(bytes()); }  // lowercase

  // Numeric order: canonical magnitudes compare by length, then bytes.
  friend std::strong_ordering operator<=>(const X509Serial& a, const X509Serial& b) noexcept;
  friend bool operator==(const X509Serial& a, const X509Serial& b) noexcept {
    return (a <=> b) == std::strong_ordering::equal;
  }

 private:
  std::array<std::byte, kMaxOctets> octets_{};
  std::uint8_t size_ = 0;
};

// 16 random octets from OpenSSL's CSPRNG with the top bit cleared (positive) and the next bit set
// (so there is no leading zero and hex() is always 32 digits): 126 random bits, above RFC 5280's
// and CA/B Forum's 64. Uniqueness against issued serials is the caller's check.
[[nodiscard]] Result<X509Serial> random_serial();

}  // namespace jit::ca
