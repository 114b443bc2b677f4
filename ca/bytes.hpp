// Byte buffers and the one bounded reader for untrusted bytes (SSH blobs, KRLs, WebAuthn
// authenticator data). Every getter checks the remaining length before it reads and sets its output
// only on success; a length-prefixed section is read through sub() and must be consumed exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jit::ca {

using Bytes = std::vector<std::byte>;
using ByteView = std::span<const std::byte>;

inline ByteView as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}
inline std::string_view as_chars(ByteView bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
// OpenSSL speaks unsigned char.
inline const unsigned char* as_uchars(ByteView bytes) noexcept {
  return reinterpret_cast<const unsigned char*>(bytes.data());
}
inline unsigned char* as_uchars(std::span<std::byte> bytes) noexcept {
  return reinterpret_cast<unsigned char*>(bytes.data());
}

class ByteReader {
 public:
  explicit ByteReader(ByteView data) noexcept : data_(data) {}

  [[nodiscard]] bool u8(std::uint8_t& out) noexcept;
  [[nodiscard]] bool u16(std::uint16_t& out) noexcept;  // big-endian
  [[nodiscard]] bool u32(std::uint32_t& out) noexcept;  // big-endian
  [[nodiscard]] bool u64(std::uint64_t& out) noexcept;  // big-endian
  // Exactly n bytes, as a view into the input.
  [[nodiscard]] bool bytes(std::size_t n, ByteView& out) noexcept;
  // An SSH string: uint32 length, then that many bytes; refused when the length exceeds max.
  [[nodiscard]] bool string(std::size_t max, ByteView& out) noexcept;
  // An SSH string that must not contain NUL (OpenSSH's cstring), copied out.
  [[nodiscard]] bool cstring(std::size_t max, std::string& out);
  // An SSH string read as a nested reader, for sections that must then be consumed exactly.
  [[nodiscard]] bool sub(std::size_t max, ByteReader& out) noexcept;

  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - offset_; }
  [[nodiscard]] bool empty() const noexcept { return remaining() == 0; }
  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }
  [[nodiscard]] ByteView rest() const noexcept { return data_.subspan(offset_); }
  // Consumes everything left (for trailing structures parsed elsewhere, e.g. CBOR).
  ByteView take_rest() noexcept;

 private:
  ByteView data_;
  std::size_t offset_ = 0;
};

// Appends SSH wire primitives (RFC 4251 section 5) to a buffer.
class ByteWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<std::byte>(v)); }
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  void raw(ByteView data) { out_.insert(out_.end(), data.begin(), data.end()); }
  void string(ByteView data);
  void string(std::string_view text) { string(as_bytes(text)); }
  // A positive integer given as big-endian magnitude, encoded as an SSH mpint.
  void mpint_positive(ByteView magnitude);

  [[nodiscard]] const Bytes& bytes() const noexcept { return out_; }
  [[nodiscard]] Bytes take() noexcept { return std::move(out_); }
  void reserve(std::size_t n) { out_.reserve(n); }
  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }

 private:
  Bytes out_;
};

std::string base64_encode(ByteView data);
// Strict standard base64 (padding required, no whitespace); false on any other input.
[[nodiscard]] bool base64_decode(std::string_view text, Bytes& out);
std::string base64url_encode_unpadded(ByteView data);
[[nodiscard]] bool base64url_decode_unpadded(std::string_view text, Bytes& out);
std::string hex_encode(ByteView data);

// Compares in time that depends only on the lengths, for secrets and MACs.
[[nodiscard]] bool constant_time_equal(ByteView a, ByteView b) noexcept;

// Overwrites a buffer that held a secret (OPENSSL_cleanse cannot be optimised away).
void wipe(std::span<std::byte> secret) noexcept;
void wipe(std::string& secret) noexcept;

}  // namespace jit::ca
