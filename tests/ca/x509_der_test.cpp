#include "ca/x509_der.hpp"

#include "support/ssh_test_support.hpp"

#include <gtest/gtest.h>
#include "ca/openssl_handles.hpp"

#include <chrono>

namespace jit::ca {
namespace {

using testing::bytes_of;
using namespace std::chrono;

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s);
}

std::string time_text(const Bytes& der) { return std::string(as_chars(ByteView(der).subspan(2))); }

TEST(DerWriter, LengthsUseShortThenMinimalLongForm) {
  for (const auto& [content, header] : std::vector<std::pair<std::size_t, Bytes>>{
           {0, bytes_of({0x04, 0x00})},
           {127, bytes_of({0x04, 0x7F})},
           {128, bytes_of({0x04, 0x81, 0x80})},
           {255, bytes_of({0x04, 0x81, 0xFF})},
           {300, bytes_of({0x04, 0x82, 0x01, 0x2C})},
           {70000, bytes_of({0x04, 0x83, 0x01, 0x11, 0x70})}}) {
    DerWriter element;
    element.element(der_tag::kOctetString, Bytes(content, std::byte{0xAB}));
    DerWriter nested;  // the same length reached through open/close must widen identically
    nested.open(der_tag::kOctetString);
    nested.raw(Bytes(content, std::byte{0xAB}));
    nested.close();
    const Bytes a = element.take();
    const Bytes b = nested.take();
    EXPECT_EQ(a, b) << content;
    ASSERT_EQ(a.size(), header.size() + content);
    EXPECT_TRUE(std::equal(header.begin(), header.end(), a.begin())) << content;
  }
}

TEST(DerWriter, NestedElementsCloseInsideOut) {
  DerWriter out;
  out.open(der_tag::kSequence);
  out.open(der_tag::kSequence);
  out.raw(Bytes(200, std::byte{1}));
  out.close();
  out.boolean(true);
  out.close();
  const Bytes der = out.take();
  // 30 81 CE { 30 81 C8 {200 bytes} 01 01 FF }
  ASSERT_EQ(der.size(), 3u + 3u + 200u + 3u);
  EXPECT_EQ(der[0], std::byte{0x30});
  EXPECT_EQ(der[1], std::byte{0x81});
  EXPECT_EQ(der[2], std::byte{206});
  EXPECT_EQ(der[3], std::byte{0x30});
  EXPECT_EQ(der[5], std::byte{200});
  EXPECT_EQ(der[206], std::byte{0x01});
  EXPECT_EQ(der[208], std::byte{0xFF});
}

TEST(DerWriter, UnsignedIntegersAreMinimalAndPositive) {
  const auto encode = [](Bytes magnitude) {
    DerWriter out;
    out.unsigned_integer(magnitude);
    return out.take();
  };
  EXPECT_EQ(encode(bytes_of({})), bytes_of({0x02, 0x01, 0x00}));
  EXPECT_EQ(encode(bytes_of({0x00})), bytes_of({0x02, 0x01, 0x00}));
  EXPECT_EQ(encode(bytes_of({0x00, 0x00, 0x7F})), bytes_of({0x02, 0x01, 0x7F}));
  EXPECT_EQ(encode(bytes_of({0x80})), bytes_of({0x02, 0x02, 0x00, 0x80}));
  EXPECT_EQ(encode(bytes_of({0x01, 0x00})), bytes_of({0x02, 0x02, 0x01, 0x00}));
  DerWriter number;
  number.unsigned_integer(std::uint64_t{0x1234});
  EXPECT_EQ(number.take(), bytes_of({0x02, 0x02, 0x12, 0x34}));
  DerWriter big;
  big.unsigned_integer(~std::uint64_t{0});
  EXPECT_EQ(big.take(),
            bytes_of({0x02, 0x09, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
}

TEST(DerWriter, TimesSwitchToGeneralizedTimeIn2050) {
  DerWriter utc_time;
  utc_time.time(utc(2049, 12, 31, 23, 59, 59) + milliseconds(999));  // fractions are dropped
  const Bytes a = utc_time.take();
  EXPECT_EQ(a[0], std::byte{der_tag::kUtcTime});
  EXPECT_EQ(time_text(a), "491231235959Z");
  DerWriter generalized;
  generalized.time(utc(2050, 1, 1, 0, 0, 0));
  const Bytes b = generalized.take();
  EXPECT_EQ(b[0], std::byte{der_tag::kGeneralizedTime});
  EXPECT_EQ(time_text(b), "20500101000000Z");
  DerWriter old;
  old.time(utc(1950, 1, 1, 0, 0, 0));
  EXPECT_EQ(time_text(old.take()), "500101000000Z");

  EXPECT_TRUE(der_time_encodable(utc(1950, 1, 1, 0, 0, 0)));
  EXPECT_FALSE(der_time_encodable(utc(1949, 12, 31, 23, 59, 59)));
  // system_clock counts nanoseconds in 64 bits, so it ends in 2262, well before 9999.
  EXPECT_TRUE(der_time_encodable(utc(2200, 12, 31, 23, 59, 59)));
}

TEST(DerWriter, TimesReadBackThroughOpenSsl) {
  for (const auto t :
       {utc(2026, 3, 7, 8, 9, 10), utc(2049, 6, 1, 0, 0, 1), utc(2071, 2, 28, 23, 0, 0)}) {
    DerWriter out;
    out.time(t);
    const Bytes der = out.take();
    const unsigned char* cursor = as_uchars(ByteView(der));
    Asn1TimePtr parsed(d2i_ASN1_TIME(nullptr, &cursor, static_cast<long>(der.size())));
    ASSERT_NE(parsed, nullptr);
    EXPECT_EQ(ASN1_TIME_cmp_time_t(parsed.get(), system_clock::to_time_t(t)), 0);
  }
}

TEST(DerReader, ReadsNestedElementsAndWholeEncodings) {
  const Bytes der = bytes_of({0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xAA});
  DerReader reader(der);
  DerReader inner;
  ByteView whole;
  ASSERT_TRUE(reader.read_nested(der_tag::kSequence, inner, &whole));
  EXPECT_EQ(whole.size(), der.size());
  EXPECT_TRUE(reader.empty());
  ByteView magnitude;
  ASSERT_TRUE(inner.read_unsigned_integer(magnitude));
  EXPECT_EQ(magnitude.size(), 1u);
  ByteView content;
  bool present = false;
  ASSERT_TRUE(inner.read_optional(der_tag::kNull, content, present));
  EXPECT_FALSE(present);
  ASSERT_TRUE(inner.read_optional(der_tag::kOctetString, content, present));
  EXPECT_TRUE(present);
  EXPECT_TRUE(inner.empty());
}

TEST(DerReader, RefusesNonDerLengthsAndTagsWithoutMoving) {
  const std::vector<Bytes> refused = {
      bytes_of({0x30, 0x80, 0x00, 0x00}),           // indefinite length (BER)
      bytes_of({0x04, 0x81, 0x05, 1, 2, 3, 4, 5}),  // long form for a short length
      bytes_of({0x04, 0x82, 0x00, 0x80}),           // leading zero length octet
      bytes_of({0x04, 0x85, 1, 0, 0, 0, 0}),        // more length octets than we allow
      bytes_of({0x04, 0x05, 1, 2}),                 // length beyond the data
      bytes_of({0x04}),                             // no length
      bytes_of({0x1F, 0x22, 0x00}),                 // high tag number form
      bytes_of({0x02, 0x01, 0x00}),                 // wrong tag (INTEGER, not OCTET STRING)
  };
  for (const Bytes& der : refused) {
    DerReader reader(der);
    ByteView content;
    EXPECT_FALSE(reader.read(der[0] == std::byte{0x1F} ? 0x1F : der_tag::kOctetString, content));
    std::uint8_t tag = 0;
    ASSERT_TRUE(reader.peek_tag(tag));  // nothing consumed
    EXPECT_EQ(tag, std::to_integer<std::uint8_t>(der[0]));
  }
  const Bytes indefinite = bytes_of({0x30, 0x80, 0x00, 0x00});
  DerReader sequence(indefinite);
  DerReader inner;
  EXPECT_FALSE(sequence.read_nested(der_tag::kSequence, inner));
}

TEST(DerReader, IntegersMustBeMinimalAndNonNegative) {
  for (const Bytes& der :
       {bytes_of({0x02, 0x00}), bytes_of({0x02, 0x01, 0x80}), bytes_of({0x02, 0x02, 0x00, 0x7F}),
        bytes_of({0x02, 0x02, 0xFF, 0x80})}) {
    DerReader reader(der);
    ByteView magnitude;
    EXPECT_FALSE(reader.read_unsigned_integer(magnitude));
    EXPECT_FALSE(reader.empty());
  }
  const Bytes padded_der = bytes_of({0x02, 0x02, 0x00, 0x80});
  DerReader padded(padded_der);
  ByteView magnitude;
  ASSERT_TRUE(padded.read_unsigned_integer(magnitude));
  EXPECT_EQ(Bytes(magnitude.begin(), magnitude.end()), bytes_of({0x80}));
}

TEST(DerReader, BitStringsMustHaveNoUnusedBits) {
  const Bytes good_der = bytes_of({0x03, 0x02, 0x00, 0xAB});
  DerReader good(good_der);
  ByteView bits;
  ASSERT_TRUE(good.read_bit_string(bits));
  EXPECT_EQ(bits.size(), 1u);
  for (const Bytes& der : {bytes_of({0x03, 0x02, 0x01, 0xAB}), bytes_of({0x03, 0x00})}) {
    DerReader reader(der);
    EXPECT_FALSE(reader.read_bit_string(bits));
    EXPECT_FALSE(reader.empty());
  }
}

}  // namespace
}  // namespace jit::ca
