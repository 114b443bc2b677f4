#include "ca/x509_pem.hpp"
#include "ca/x509_serial.hpp"

#include <gtest/gtest.h>

#include <set>

namespace jit::ca {
namespace {

const std::string kLabel = "CERTIFICATE REQUEST";

Bytes sample_der() {
  Bytes der(100);
  for (std::size_t i = 0; i < der.size(); ++i) der[i] = static_cast<std::byte>(i * 7);
  return der;
}

TEST(Pem, RoundTripsWithWrappedLines) {
  const std::string pem = encode_pem(kLabel, sample_der());
  EXPECT_TRUE(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
  EXPECT_TRUE(pem.ends_with("-----END CERTIFICATE REQUEST-----\n"));
  auto decoded = decode_single_pem(pem, {kLabel});
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, sample_der());
}

TEST(Pem, AcceptsSurroundingWhitespaceAndCrLf) {
  std::string pem = encode_pem(kLabel, sample_der());
  std::string crlf;
  for (char c : pem) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  for (const std::string& text : {"\n\n  " + pem + "\n\t ", crlf}) {
    auto decoded = decode_single_pem(text, {kLabel});
    ASSERT_TRUE(decoded) << text;
    EXPECT_EQ(*decoded, sample_der());
  }
}

TEST(Pem, RefusesEverythingButOneCleanBlock) {
  const std::string pem = encode_pem(kLabel, sample_der());
  const std::string body_line = pem.substr(pem.find('\n') + 1, 64);
  const std::vector<std::string> refused = {
      "",
      "   \n",
      pem + "junk",
      "junk\n" + pem,
      pem + pem,
      encode_pem("CERTIFICATE", sample_der()),
      "-----BEGIN CERTIFICATE REQUEST-----\n" + body_line + "\n",  // no END
      "-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n",
      "-----BEGIN CERTIFICATE REQUEST-----\nProc-Type: 4,ENCRYPTED\n" +
          pem.substr(pem.find('\n') + 1),
      "-----BEGIN CERTIFICATE REQUEST-----\n\n" + pem.substr(pem.find('\n') + 1),  // blank line
      "-----BEGIN CERTIFICATE REQUEST-----\n" + body_line +
          "!\n-----END CERTIFICATE REQUEST-----\n",
      "-----BEGIN CERTIFICATE REQUEST-----\n" + body_line + "\n-----END CERTIFICATE-----\n",
      "-----BEGIN CERTIFICATE REQUEST-----\nQUJD\n-----END CERTIFICATE REQUEST----- "
      "x\n",
      "-----BEGIN CERTIFICATE REQUEST-----\nQUJDRA\n-----END CERTIFICATE "
      "REQUEST-----\n",  // no padding
  };
  for (const std::string& text : refused) {
    auto decoded = decode_single_pem(text, {kLabel});
    ASSERT_FALSE(decoded) << text;
    EXPECT_EQ(decoded.error(), CaErrc::malformed) << text;
  }
}

TEST(X509Serial, AcceptsCanonicalMagnitudesOnly) {
  auto serial = X509Serial::from_hex("7Fab01");
  ASSERT_TRUE(serial);
  EXPECT_EQ(serial->hex(), "7fab01");
  EXPECT_EQ(serial->bytes().size(), 3u);

  EXPECT_TRUE(X509Serial::from_hex(std::string(40, '7')));       // 20 octets, top bit clear
  EXPECT_EQ(X509Serial::from_hex(std::string(40, 'f')).error(),  // would need a 21st octet
            CaErrc::invalid_argument);
  EXPECT_EQ(X509Serial::from_hex(std::string(42, '1')).error(), CaErrc::invalid_argument);
  EXPECT_EQ(X509Serial::from_hex("00").error(), CaErrc::invalid_argument);
  EXPECT_EQ(X509Serial::from_hex("0001").error(), CaErrc::invalid_argument);
  EXPECT_EQ(X509Serial::from_hex("").error(), CaErrc::malformed);
  EXPECT_EQ(X509Serial::from_hex("abc").error(), CaErrc::malformed);
  EXPECT_EQ(X509Serial::from_hex("zz").error(), CaErrc::malformed);
  EXPECT_EQ(X509Serial::from_bytes({}).error(), CaErrc::invalid_argument);
}

TEST(X509Serial, OrdersNumerically) {
  const auto s = [](const char* hex) { return *X509Serial::from_hex(hex); };
  EXPECT_LT(s("ff"), s("01ff"));
  EXPECT_LT(s("01fe"), s("01ff"));
  EXPECT_EQ(s("abcd"), s("ABCD"));
}

TEST(X509Serial, RandomSerialsArePositiveSixteenOctetsAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto serial = random_serial();
    ASSERT_TRUE(serial);
    ASSERT_EQ(serial->bytes().size(), 16u);
    const auto first = std::to_integer<unsigned>(serial->bytes()[0]);
    EXPECT_EQ(first & 0xC0U, 0x40U);  // top bit clear, next bit set
    EXPECT_EQ(serial->hex().size(), 32u);
    seen.insert(serial->hex());
  }
  EXPECT_EQ(seen.size(), 200u);
}

}  // namespace
}  // namespace jit::ca
