// Minimal DER (ITU-T X.690) writer and strict reader for the X.509 structures the CA signs and the
// CSRs it reads. OpenSSL 3.0's generic ASN.1 and key decoders cost far more than the signature
// itself (about 0.1 ms to decode one P-256 public key, about 9 ms per 1,000 CRL entries), so the
// hot paths encode certificates and CRLs here and parse CSRs here; tests parse every output back
// with OpenSSL and the real tools.
#pragma once

#include "ca/bytes.hpp"

#include <chrono>
#include <cstdint>
#include <vector>

namespace jit::ca {

namespace der_tag {
inline constexpr std::uint8_t kBoolean = 0x01;
inline constexpr std::uint8_t kInteger = 0x02;
inline constexpr std::uint8_t kBitString = 0x03;
inline constexpr std::uint8_t kOctetString = 0x04;
inline constexpr std::uint8_t kNull = 0x05;
inline constexpr std::uint8_t kOid = 0x06;
inline constexpr std::uint8_t kEnumerated = 0x0A;
inline constexpr std::uint8_t kUtf8String = 0x0C;
inline constexpr std::uint8_t kIa5String = 0x16;
inline constexpr std::uint8_t kUtcTime = 0x17;
inline constexpr std::uint8_t kGeneralizedTime = 0x18;
inline constexpr std::uint8_t kSequence = 0x30;
inline constexpr std::uint8_t kSet = 0x31;
// [n] context-specific tags: primitive 0x80|n, constructed 0xA0|n.
constexpr std::uint8_t context(unsigned n, bool constructed) {
  return static_cast<std::uint8_t>((constructed ? 0xA0U : 0x80U) | n);
}
}  // namespace der_tag

// X.509 Time (RFC 5280 4.1.2.5): UTCTime for 1950..2049, GeneralizedTime from 2050, whole seconds,
// Z. Times outside 1950..9999 cannot be written; callers check with this first.
[[nodiscard]] bool der_time_encodable(std::chrono::system_clock::time_point t) noexcept;

// Bytes of an element's tag and length octets for a content of this size.
[[nodiscard]] std::size_t der_header_size(std::size_t content_length) noexcept;
// Bytes of an X.509 Time element (UTCTime 15, GeneralizedTime 17); t must be encodable.
[[nodiscard]] std::size_t der_time_size(std::chrono::system_clock::time_point t) noexcept;

// Appends DER elements. Constructed elements are opened and closed like brackets; their length is
// filled in on close (one byte reserved, widened with a move when the content reaches 128 bytes).
class DerWriter {
 public:
  void open(std::uint8_t tag);
  void close();
  // Tag and length of an element whose `content_length` bytes the caller writes next: for large
  // elements whose size is known up front, which then need no move on close.
  void header(std::uint8_t tag, std::size_t content_length);
  void element(std::uint8_t tag, ByteView content);
  void raw(ByteView encoded) { out_.insert(out_.end(), encoded.begin(), encoded.end()); }
  // A non-negative INTEGER from a big-endian magnitude (leading zeros dropped, 0x00 added when the
  // top bit is set).
  void unsigned_integer(ByteView magnitude);
  void unsigned_integer(std::uint64_t value);
  void boolean(bool value);
  void time(std::chrono::system_clock::time_point t);  // precondition: der_time_encodable(t)
  // BIT STRING with zero unused bits.
  void bit_string(ByteView bits);

  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }
  [[nodiscard]] ByteView view() const noexcept { return out_; }
  // The finished bytes; every opened element must have been closed.
  [[nodiscard]] Bytes take() noexcept { return std::move(out_); }
  void reserve(std::size_t n) { out_.reserve(n); }

 private:
  void length(std::size_t n);
  Bytes out_;
  std::vector<std::size_t> open_;  // offsets of the reserved length bytes
};

// Strict DER reader over untrusted bytes: one-byte tags only, definite minimal lengths, every read
// bounded by what is left. A failed read leaves the reader where it was.
class DerReader {
 public:
  DerReader() noexcept : reader_(ByteView{}) {}
  explicit DerReader(ByteView data) noexcept : reader_(data) {}

  // The next element must carry `tag`; gives its content and (optionally) the whole encoding.
  [[nodiscard]] bool read(std::uint8_t tag, ByteView& content, ByteView* whole = nullptr) noexcept;
  [[nodiscard]] bool read_nested(std::uint8_t tag, DerReader& inner,
                                 ByteView* whole = nullptr) noexcept;
  // The next element if it carries `tag`; false (and nothing consumed) otherwise.
  [[nodiscard]] bool read_optional(std::uint8_t tag, ByteView& content, bool& present) noexcept;
  [[nodiscard]] bool peek_tag(std::uint8_t& tag) const noexcept;
  // A non-negative INTEGER in minimal form, returned as its magnitude (no sign octet).
  [[nodiscard]] bool read_unsigned_integer(ByteView& magnitude) noexcept;
  // A BIT STRING with zero unused bits.
  [[nodiscard]] bool read_bit_string(ByteView& bits) noexcept;

  [[nodiscard]] bool empty() const noexcept { return reader_.empty(); }

 private:
  ByteReader reader_;
};

}  // namespace jit::ca
