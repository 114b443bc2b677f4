#include "ca/bytes.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>

namespace jit::ca {

bool ByteReader::u8(std::uint8_t& out) noexcept {
  if (remaining() < 1) return false;
  out = static_cast<std::uint8_t>(data_[offset_]);
  offset_ += 1;
  return true;
}

bool ByteReader::u16(std::uint16_t& out) noexcept {
  if (remaining() < 2) return false;
  out = static_cast<std::uint16_t>((std::to_integer<unsigned>(data_[offset_]) << 8) |
                                   std::to_integer<unsigned>(data_[offset_ + 1]));
  offset_ += 2;
  return true;
}

bool ByteReader::u32(std::uint32_t& out) noexcept {
  if (remaining() < 4) return false;
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v = (v << 8) | std::to_integer<std::uint32_t>(data_[offset_ + i]);
  out = v;
  offset_ += 4;
  return true;
}

bool ByteReader::u64(std::uint64_t& out) noexcept {
  if (remaining() < 8) return false;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i)
    v = (v << 8) | std::to_integer<std::uint64_t>(data_[offset_ + i]);
  out = v;
  offset_ += 8;
  return true;
}

bool ByteReader::bytes(std::size_t n, ByteView& out) noexcept {
  if (remaining() < n) return false;
  out = data_.subspan(offset_, n);
  offset_ += n;
  return true;
}

bool ByteReader::string(std::size_t max, ByteView& out) noexcept {
  const std::size_t start = offset_;
  std::uint32_t length = 0;
  if (!u32(length)) return false;
  // Compare against remaining() rather than adding to offset_, so a huge length cannot overflow.
  if (length > max || length > remaining()) {
    offset_ = start;
    return false;
  }
  out = data_.subspan(offset_, length);
  offset_ += length;
  return true;
}

bool ByteReader::cstring(std::size_t max, std::string& out) {
  const std::size_t start = offset_;
  ByteView view;
  if (!string(max, view)) return false;
  if (std::find(view.begin(), view.end(), std::byte{0}) != view.end()) {
    offset_ = start;
    return false;
  }
  out.assign(as_chars(view));
  return true;
}

bool ByteReader::sub(std::size_t max, ByteReader& out) noexcept {
  ByteView view;
  if (!string(max, view)) return false;
  out = ByteReader(view);
  return true;
}

ByteView ByteReader::take_rest() noexcept {
  ByteView r = rest();
  offset_ = data_.size();
  return r;
}

void ByteWriter::u32(std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) u8(static_cast<std::uint8_t>(v >> shift));
}

void ByteWriter::u64(std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) u8(static_cast<std::uint8_t>(v >> shift));
}

void ByteWriter::string(ByteView data) {
  u32(static_cast<std::uint32_t>(data.size()));
  raw(data);
}

void ByteWriter::mpint_positive(ByteView magnitude) {
  std::size_t skip = 0;
  while (skip < magnitude.size() && magnitude[skip] == std::byte{0}) ++skip;
  ByteView trimmed = magnitude.subspan(skip);
  const bool needs_pad = !trimmed.empty() && (std::to_integer<unsigned>(trimmed[0]) & 0x80U) != 0;
  u32(static_cast<std::uint32_t>(trimmed.size() + (needs_pad ? 1 : 0)));
  if (needs_pad) u8(0);
  raw(trimmed);
}

namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(ByteView data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const unsigned v = (std::to_integer<unsigned>(data[i]) << 16) |
                       (std::to_integer<unsigned>(data[i + 1]) << 8) |
                       std::to_integer<unsigned>(data[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t left = data.size() - i;
  if (left > 0) {
    unsigned v = std::to_integer<unsigned>(data[i]) << 16;
    if (left == 2) v |= std::to_integer<unsigned>(data[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (left == 2) out += alphabet[(v >> 6) & 63];
    if (pad) out.append(left == 1 ? "==" : "=");
  }
  return out;
}

std::array<int, 256> reverse_table(const char* alphabet) {
  std::array<int, 256> table{};
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
  return table;
}

// Decodes groups of 4 symbols; `pad` selects standard (padded) or URL-safe unpadded input. Refuses
// non-canonical encodings (set bits in the unused tail), so one text maps to one byte string.
bool decode(std::string_view text, const std::array<int, 256>& table, bool pad, Bytes& out) {
  std::size_t symbols = text.size();
  if (pad) {
    if (symbols % 4 != 0) return false;
    if (symbols > 0 && text[symbols - 1] == '=') --symbols;
    if (symbols > 0 && text[symbols - 1] == '=') --symbols;
  }
  if (symbols % 4 == 1) return false;
  Bytes result;
  result.reserve(symbols / 4 * 3 + 2);
  unsigned accumulator = 0;
  int bits = 0;
  for (std::size_t i = 0; i < symbols; ++i) {
    const int v = table[static_cast<unsigned char>(text[i])];
    if (v < 0) return false;
    accumulator = (accumulator << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      result.push_back(static_cast<std::byte>((accumulator >> bits) & 0xFFU));
    }
  }
  if (bits > 0 && (accumulator & ((1U << bits) - 1)) != 0) return false;
  if (pad && (text.size() - symbols) != (symbols % 4 == 0 ? 0 : 4 - symbols % 4)) return false;
  out = std::move(result);
  return true;
}

}  // namespace

std::string base64_encode(ByteView data) { return encode(data, kBase64, true); }

bool base64_decode(std::string_view text, Bytes& out) {
  static const auto table = reverse_table(kBase64);
  return decode(text, table, true, out);
}

std::string base64url_encode_unpadded(ByteView data) { return encode(data, kBase64Url, false); }

bool base64url_decode_unpadded(std::string_view text, Bytes& out) {
  static const auto table = reverse_table(kBase64Url);
  return decode(text, table, false, out);
}

std::string hex_encode(ByteView data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (std::byte b : data) {
    out += kHex[std::to_integer<unsigned>(b) >> 4];
    out += kHex[std::to_integer<unsigned>(b) & 15];
  }
  return out;
}

bool constant_time_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void wipe(std::span<std::byte> secret) noexcept { OPENSSL_cleanse(secret.data(), secret.size()); }

void wipe(std::string& secret) noexcept {
  OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

}  // namespace jit::ca
