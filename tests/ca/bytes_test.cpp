#include "ca/bytes.hpp"

#include "support/ssh_test_support.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace jit::ca {
namespace {

using testing::bytes_of;

TEST(ByteReader, ReadsBigEndianIntegers) {
  const Bytes data = bytes_of({0x01, 0x02, 0x03, 0x04, 0x05, 0, 0, 0, 0, 0, 0, 1, 0});
  ByteReader reader(data);
  std::uint8_t a = 0;
  std::uint32_t b = 0;
  std::uint64_t c = 0;
  ASSERT_TRUE(reader.u8(a));
  ASSERT_TRUE(reader.u32(b));
  ASSERT_TRUE(reader.u64(c));
  EXPECT_EQ(a, 0x01);
  EXPECT_EQ(b, 0x02030405u);
  EXPECT_EQ(c, 0x100u);
  EXPECT_TRUE(reader.empty());
}

TEST(ByteReader, RefusesShortReadsWithoutMoving) {
  const Bytes data = bytes_of({0x00, 0x00, 0x00});
  ByteReader reader(data);
  std::uint32_t v = 7;
  EXPECT_FALSE(reader.u32(v));
  EXPECT_EQ(v, 7u);  // outputs are set only on success
  EXPECT_EQ(reader.offset(), 0u);
}

TEST(ByteReader, StringLengthBeyondInputIsRefused) {
  const Bytes data = bytes_of({0xFF, 0xFF, 0xFF, 0xFF, 'a'});
  ByteReader reader(data);
  ByteView out;
  EXPECT_FALSE(reader.string(std::numeric_limits<std::size_t>::max(), out));
  EXPECT_EQ(reader.offset(), 0u);
}

TEST(ByteReader, StringLongerThanMaxIsRefused) {
  const Bytes data = bytes_of({0, 0, 0, 3, 'a', 'b', 'c'});
  ByteReader reader(data);
  ByteView out;
  EXPECT_FALSE(reader.string(2, out));
  ASSERT_TRUE(reader.string(3, out));
  EXPECT_EQ(as_chars(out), "abc");
}

TEST(ByteReader, CstringRefusesEmbeddedNul) {
  const Bytes data = bytes_of({0, 0, 0, 3, 'a', 0, 'c'});
  ByteReader reader(data);
  std::string out = "unchanged";
  EXPECT_FALSE(reader.cstring(16, out));
  EXPECT_EQ(out, "unchanged");
}

TEST(ByteReader, SubReaderIsBoundedToItsSection) {
  const Bytes data = bytes_of({0, 0, 0, 2, 0xAA, 0xBB, 0xCC});
  ByteReader reader(data);
  ByteReader section(ByteView{});
  ASSERT_TRUE(reader.sub(16, section));
  std::uint32_t v = 0;
  EXPECT_FALSE(section.u32(v));
  EXPECT_EQ(section.remaining(), 2u);
  EXPECT_EQ(reader.remaining(), 1u);
}

TEST(ByteWriter, MpintAddsPadForHighBitAndStripsLeadingZeros) {
  ByteWriter high;
  high.mpint_positive(bytes_of({0x80, 0x01}));
  EXPECT_EQ(high.bytes(), bytes_of({0, 0, 0, 3, 0x00, 0x80, 0x01}));
  ByteWriter zeros;
  zeros.mpint_positive(bytes_of({0x00, 0x00, 0x7F}));
  EXPECT_EQ(zeros.bytes(), bytes_of({0, 0, 0, 1, 0x7F}));
  ByteWriter zero;
  zero.mpint_positive(bytes_of({0x00}));
  EXPECT_EQ(zero.bytes(), bytes_of({0, 0, 0, 0}));
}

TEST(Base64, RoundTripsAndMatchesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(as_bytes("")), "");
  EXPECT_EQ(base64_encode(as_bytes("f")), "Zg==");
  EXPECT_EQ(base64_encode(as_bytes("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(as_bytes("foobar")), "Zm9vYmFy");
  Bytes out;
  ASSERT_TRUE(base64_decode("Zm9vYg==", out));
  EXPECT_EQ(as_chars(out), "foob");
}

TEST(Base64, RefusesNonCanonicalAndGarbage) {
  Bytes out;
  EXPECT_FALSE(base64_decode("Zm9", out));    // missing padding
  EXPECT_FALSE(base64_decode("Zh==", out));   // unused bits set
  EXPECT_FALSE(base64_decode("Zm 9v", out));  // whitespace
  EXPECT_FALSE(base64_decode("Zm9v=", out));  // stray padding
  EXPECT_FALSE(base64_decode("====", out));
}

TEST(Base64Url, UnpaddedRoundTrip) {
  const Bytes data = bytes_of({0xFB, 0xFF, 0xFE});
  EXPECT_EQ(base64url_encode_unpadded(data), "-__-");
  Bytes out;
  ASSERT_TRUE(base64url_decode_unpadded("-__-", out));
  EXPECT_EQ(out, data);
  EXPECT_FALSE(base64url_decode_unpadded("-__-=", out));
  EXPECT_FALSE(base64url_decode_unpadded("+/", out));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal(as_bytes("secret"), as_bytes("secret")));
  EXPECT_FALSE(constant_time_equal(as_bytes("secret"), as_bytes("secreT")));
  EXPECT_FALSE(constant_time_equal(as_bytes("secret"), as_bytes("secret1")));
}

}  // namespace
}  // namespace jit::ca
