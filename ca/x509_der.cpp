#include "ca/x509_der.hpp"

#include <array>

namespace jit::ca {
namespace {

using std::chrono::system_clock;

constexpr int kFirstYear = 1950;
constexpr int kLastYear = 9999;
constexpr int kFirstGeneralizedYear = 2050;
// Lengths above 16 MiB never occur in what we read (CSRs are capped far lower).
constexpr std::size_t kMaxLengthOctets = 3;

int year_of(system_clock::time_point t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  return static_cast<int>(std::chrono::year_month_day(day).year());
}

void put_digits(char* out, unsigned value, int digits) {
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

bool der_time_encodable(system_clock::time_point t) noexcept {
  const int year = year_of(t);
  return year >= kFirstYear && year <= kLastYear;
}

std::size_t der_header_size(std::size_t content_length) noexcept {
  std::size_t octets = 0;
  if (content_length >= 0x80) {
    for (std::size_t v = content_length; v != 0; v >>= 8) ++octets;
  }
  return 2 + octets;
}

std::size_t der_time_size(system_clock::time_point t) noexcept {
  return year_of(t) >= kFirstGeneralizedYear ? 17 : 15;
}

void DerWriter::header(std::uint8_t tag, std::size_t content_length) {
  out_.push_back(static_cast<std::byte>(tag));
  length(content_length);
}

void DerWriter::length(std::size_t n) {
  if (n < 0x80) {
    out_.push_back(static_cast<std::byte>(n));
    return;
  }
  std::array<std::byte, sizeof(std::size_t)> octets{};
  std::size_t count = 0;
  for (std::size_t v = n; v != 0; v >>= 8) octets[count++] = static_cast<std::byte>(v & 0xFF);
  out_.push_back(static_cast<std::byte>(0x80 | count));
  for (std::size_t i = count; i > 0; --i) out_.push_back(octets[i - 1]);
}

void DerWriter::open(std::uint8_t tag) {
  out_.push_back(static_cast<std::byte>(tag));
  open_.push_back(out_.size());
  out_.push_back(std::byte{0});  // the length, fixed on close
}

void DerWriter::close() {
  const std::size_t at = open_.back();
  open_.pop_back();
  const std::size_t content = out_.size() - at - 1;
  if (content < 0x80) {
    out_[at] = static_cast<std::byte>(content);
    return;
  }
  std::size_t count = 0;
  for (std::size_t v = content; v != 0; v >>= 8) ++count;
  // Widen the reserved byte to 1 + count bytes and move the content up.
  out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(at + 1), count, std::byte{0});
  out_[at] = static_cast<std::byte>(0x80 | count);
  for (std::size_t i = 0; i < count; ++i) {
    out_[at + count - i] = static_cast<std::byte>((content >> (8 * i)) & 0xFF);
  }
}

void DerWriter::element(std::uint8_t tag, ByteView content) {
  out_.push_back(static_cast<std::byte>(tag));
  length(content.size());
  raw(content);
}

void DerWriter::unsigned_integer(ByteView magnitude) {
  std::size_t skip = 0;
  while (skip + 1 < magnitude.size() && magnitude[skip] == std::byte{0}) ++skip;
  const ByteView trimmed = magnitude.subspan(skip);
  const bool pad = trimmed.empty() || (std::to_integer<unsigned>(trimmed[0]) & 0x80U) != 0;
  out_.push_back(static_cast<std::byte>(der_tag::kInteger));
  length(trimmed.size() + (pad ? 1 : 0));
  if (pad) out_.push_back(std::byte{0});
  raw(trimmed);
}

void DerWriter::unsigned_integer(std::uint64_t value) {
  std::array<std::byte, 8> octets{};
  for (int i = 7; i >= 0; --i, value >>= 8)
    octets[static_cast<std::size_t>(i)] = static_cast<std::byte>(value & 0xFF);
  unsigned_integer(ByteView(octets));
}

void DerWriter::boolean(bool value) {
  const std::byte content[] = {value ? std::byte{0xFF} : std::byte{0x00}};
  element(der_tag::kBoolean, content);
}

void DerWriter::time(system_clock::time_point t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const auto day = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss clock(seconds - day);
  const int year = static_cast<int>(date.year());
  char text[16];
  char* p = text;
  std::uint8_t tag = der_tag::kUtcTime;
  if (year >= kFirstGeneralizedYear) {
    tag = der_tag::kGeneralizedTime;
    put_digits(p, static_cast<unsigned>(year), 4);
    p += 4;
  } else {
    put_digits(p, static_cast<unsigned>(year % 100), 2);
    p += 2;
  }
  put_digits(p, static_cast<unsigned>(date.month()), 2);
  put_digits(p + 2, static_cast<unsigned>(date.day()), 2);
  put_digits(p + 4, static_cast<unsigned>(clock.hours().count()), 2);
  put_digits(p + 6, static_cast<unsigned>(clock.minutes().count()), 2);
  put_digits(p + 8, static_cast<unsigned>(clock.seconds().count()), 2);
  p[10] = 'Z';
  element(tag, as_bytes(std::string_view(text, static_cast<std::size_t>(p + 11 - text))));
}

void DerWriter::bit_string(ByteView bits) {
  out_.push_back(static_cast<std::byte>(der_tag::kBitString));
  length(bits.size() + 1);
  out_.push_back(std::byte{0});
  raw(bits);
}

bool DerReader::peek_tag(std::uint8_t& tag) const noexcept {
  ByteReader copy = reader_;
  return copy.u8(tag);
}

bool DerReader::read(std::uint8_t tag, ByteView& content, ByteView* whole) noexcept {
  ByteReader r = reader_;
  const ByteView start = r.rest();
  std::uint8_t actual = 0;
  std::uint8_t first = 0;
  if (!r.u8(actual) || actual != tag || (actual & 0x1F) == 0x1F) return false;
  if (!r.u8(first)) return false;
  std::size_t length = first;
  if (first >= 0x80) {
    const std::size_t count = first & 0x7FU;
    // 0x80 is BER's indefinite length; DER forbids it, and forbids leading zero octets.
    if (count == 0 || count > kMaxLengthOctets) return false;
    length = 0;
    for (std::size_t i = 0; i < count; ++i) {
      std::uint8_t octet = 0;
      if (!r.u8(octet)) return false;
      if (i == 0 && octet == 0) return false;
      length = (length << 8) | octet;
    }
    if (length < 0x80) return false;  // should have used the short form
  }
  ByteView body;
  if (!r.bytes(length, body)) return false;
  content = body;
  if (whole != nullptr) *whole = start.first(start.size() - r.remaining());
  reader_ = r;
  return true;
}

bool DerReader::read_nested(std::uint8_t tag, DerReader& inner, ByteView* whole) noexcept {
  ByteView content;
  if (!read(tag, content, whole)) return false;
  inner = DerReader(content);
  return true;
}

bool DerReader::read_optional(std::uint8_t tag, ByteView& content, bool& present) noexcept {
  std::uint8_t next = 0;
  if (!peek_tag(next) || next != tag) {
    present = false;
    return true;
  }
  present = read(tag, content);
  return present;
}

bool DerReader::read_unsigned_integer(ByteView& magnitude) noexcept {
  DerReader saved = *this;
  ByteView content;
  if (!read(der_tag::kInteger, content)) return false;
  if (content.empty() || (std::to_integer<unsigned>(content[0]) & 0x80U) != 0) {
    *this = saved;  // empty or negative
    return false;
  }
  if (content.size() > 1 && content[0] == std::byte{0} &&
      (std::to_integer<unsigned>(content[1]) & 0x80U) == 0) {
    *this = saved;  // not minimal
    return false;
  }
  if (content.size() > 1 && content[0] == std::byte{0}) content = content.subspan(1);
  magnitude = content;
  return true;
}

bool DerReader::read_bit_string(ByteView& bits) noexcept {
  DerReader saved = *this;
  ByteView content;
  if (!read(der_tag::kBitString, content)) return false;
  if (content.empty() || content[0] != std::byte{0}) {
    *this = saved;
    return false;
  }
  bits = content.subspan(1);
  return true;
}

}  // namespace jit::ca
