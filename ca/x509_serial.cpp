#include "ca/x509_serial.hpp"

#include "ca/openssl_handles.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

namespace jit::ca {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::size_t kRandomOctets = 16;

}  // namespace

Result<X509Serial> X509Serial::from_bytes(ByteView magnitude) {
  if (magnitude.empty() || magnitude.size() > kMaxOctets) return CaErrc::invalid_argument;
  if (magnitude[0] == std::byte{0}) return CaErrc::invalid_argument;  // zero or not canonical
  if (magnitude.size() == kMaxOctets && (std::to_integer<unsigned>(magnitude[0]) & 0x80U) != 0) {
    return CaErrc::invalid_argument;
  }
  X509Serial serial;
  std::copy(magnitude.begin(), magnitude.end(), serial.octets_.begin());
  serial.size_ = static_cast<std::uint8_t>(magnitude.size());
  return serial;
}

Result<X509Serial> X509Serial::from_hex(std::string_view hex) {
  if (hex.empty() || hex.size() % 2 != 0) return CaErrc::malformed;
  if (hex.size() > 2 * kMaxOctets) return CaErrc::invalid_argument;
  std::array<std::byte, kMaxOctets> octets{};
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_value(hex[i]);
    const int low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) return CaErrc::malformed;
    octets[i / 2] = static_cast<std::byte>(high * 16 + low);
  }
  return from_bytes(ByteView(octets.data(), hex.size() / 2));
}

std::strong_ordering operator<=>(const X509Serial& a, const X509Serial& b) noexcept {
  if (a.size_ != b.size_) return a.size_ <=> b.size_;
  const int c = std::memcmp(a.octets_.data(), b.octets_.data(), a.size_);
  return c <=> 0;
}

Result<X509Serial> random_serial() {
  std::array<unsigned char, kRandomOctets> octets{};
  clear_openssl_errors();
  if (RAND_bytes(octets.data(), static_cast<int>(octets.size())) != 1)
    return CaErrc::crypto_failure;
  octets[0] = static_cast<unsigned char>((octets[0] & 0x7FU) | 0x40U);
  return X509Serial::from_bytes(
      ByteView(reinterpret_cast<const std::byte*>(octets.data()), octets.size()));
}

}  // namespace jit::ca
