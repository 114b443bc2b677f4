#include "approvals/totp.hpp"

#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

namespace jit::approvals {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;
using testing::bytes_of;

const ca::Bytes kSeed20 = bytes_of("12345678901234567890");
const ca::Bytes kSeed32 = bytes_of("12345678901234567890123456789012");
const ca::Bytes kSeed64 =
    bytes_of("1234567890123456789012345678901234567890123456789012345678901234");

sys_seconds at(std::int64_t unix_seconds) { return sys_seconds{seconds{unix_seconds}}; }

struct Rfc6238Row {
  std::int64_t time;
  const char* sha1;
  const char* sha256;
  const char* sha512;
};

// RFC 6238 Appendix B (docs/protocols.md 5.1), 8 digits.
constexpr Rfc6238Row kRfc6238[] = {
    {59, "94287082", "46119246", "90693936"},
    {1111111109, "07081804", "68084774", "25091201"},
    {1111111111, "14050471", "67062674", "99943326"},
    {1234567890, "89005924", "91819424", "93441116"},
    {2000000000, "69279037", "90698825", "38618901"},
    {20000000000, "65353130", "77737706", "47863826"},
};

TEST(Totp, Rfc6238AppendixBAllHashes) {
  for (const auto& row : kRfc6238) {
    SCOPED_TRACE(row.time);
    EXPECT_EQ(totp_code(kSeed20, at(row.time), {OtpHash::sha1, 8}).value(), row.sha1);
    EXPECT_EQ(totp_code(kSeed32, at(row.time), {OtpHash::sha256, 8}).value(), row.sha256);
    EXPECT_EQ(totp_code(kSeed64, at(row.time), {OtpHash::sha512, 8}).value(), row.sha512);
  }
}

TEST(Totp, StepsOfTheRfcTable) {
  EXPECT_EQ(totp_step(at(59)).value(), 1u);
  EXPECT_EQ(totp_step(at(1111111109)).value(), 0x23523ECu);
  EXPECT_EQ(totp_step(at(20000000000)).value(), 0x27BC86AAu);
  EXPECT_EQ(totp_step(at(-1)).error(), ApprovalsErrc::invalid_input);
}

// Issue 21 item 6: how long someone whose code was refused as already used waits for the next.
TEST(Totp, SecondsUntilTheNextStepBegins) {
  EXPECT_EQ(seconds_until_next_totp_step(at(1699999990)).value(), 20);  // step began at ...980
  EXPECT_EQ(seconds_until_next_totp_step(at(1699999980)).value(), 30);  // a step's first second
  EXPECT_EQ(seconds_until_next_totp_step(at(1700000009)).value(), 1);   // its last second
  EXPECT_EQ(seconds_until_next_totp_step(at(1700000010)).value(), 30);  // the next one's first
  EXPECT_EQ(seconds_until_next_totp_step(at(0)).value(), 30);
  // The next step's code is the one verify_totp accepts after a replay of this step's.
  const std::int64_t now = 1700000017;
  const auto wait = seconds_until_next_totp_step(at(now)).value();
  EXPECT_EQ(totp_step(at(now + wait)).value(), totp_step(at(now)).value() + 1);
  EXPECT_EQ(totp_step(at(now + wait - 1)).value(), totp_step(at(now)).value());
  // Other periods and origins, as totp_step counts them.
  EXPECT_EQ(seconds_until_next_totp_step(at(125), {OtpHash::sha1, 6, 60}).value(), 55);
  EXPECT_EQ(seconds_until_next_totp_step(at(7), {OtpHash::sha1, 6, 30, -20}).value(), 3);
  EXPECT_EQ(seconds_until_next_totp_step(at(-1)).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(seconds_until_next_totp_step(at(10), {OtpHash::sha1, 6, 0}).error(),
            ApprovalsErrc::invalid_input);
}

TEST(Hotp, Rfc4226AppendixD) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (std::uint64_t counter = 0; counter < 10; ++counter) {
    EXPECT_EQ(hotp_code(kSeed20, counter).value(), expected[counter]) << counter;
  }
}

TEST(Hotp, RefusesBadSecretsAndDigits) {
  EXPECT_EQ(hotp_code(bytes_of("short"), 0).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(hotp_code(ca::Bytes(129, std::byte{1}), 0).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(hotp_code(kSeed20, 0, 5).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(hotp_code(kSeed20, 0, 9).error(), ApprovalsErrc::invalid_input);
}

std::string run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::string out;
  std::array<char, 256> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) out += buffer.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// oathtool (Debian package oathtool, installed by examples/install-deps.sh --test) is an
// independent implementation; a random secret at random times must give the same codes in both.
TEST(Totp, AgreesWithOathtool) {
  ASSERT_EQ(run("command -v oathtool >/dev/null 2>&1 && echo present"), "present")
      << "oathtool is missing: run examples/install-deps.sh --test";
  const ca::Bytes secret = generate_totp_secret().value();
  ASSERT_EQ(secret.size(), 20u);
  const std::string base32 = base32_encode(secret);
  for (std::int64_t t : {59LL, 1700000000LL, 1700000029LL, 1700000030LL, 4102444800LL}) {
    SCOPED_TRACE(t);
    const std::string ours = totp_code(secret, at(t)).value();
    EXPECT_EQ(run("oathtool --totp -b -N '@" + std::to_string(t) + "' " + base32), ours);
    const std::string ours8 = totp_code(secret, at(t), {OtpHash::sha256, 8}).value();
    EXPECT_EQ(run("oathtool --totp=sha256 --digits=8 -N '@" + std::to_string(t) + "' " +
                  ca::hex_encode(secret)),
              ours8);
  }
  EXPECT_EQ(run("oathtool --hotp -w 9 " + ca::hex_encode(kSeed20) + " | paste -sd ' ' -"),
            "755224 287082 359152 969429 338314 254676 287922 162583 399871 520489");
}

TEST(VerifyTotp, AcceptsCurrentAndAdjacentStepsOnly) {
  const std::int64_t now = 1700000015;  // step 56666667, 15 s into it
  const std::uint64_t step = totp_step(at(now)).value();
  for (int delta : {-1, 0, 1}) {
    const std::string code = hotp_code(kSeed20, step + delta).value();
    EXPECT_EQ(verify_totp(kSeed20, code, at(now), std::nullopt).value(), step + delta) << delta;
  }
  for (int delta : {-2, 2}) {
    const std::string code = hotp_code(kSeed20, step + delta).value();
    EXPECT_EQ(verify_totp(kSeed20, code, at(now), std::nullopt).error(),
              ApprovalsErrc::unauthenticated)
        << delta;
  }
}

TEST(VerifyTotp, ACodeIsAcceptedOnce) {
  const std::int64_t now = 1700000015;
  const std::string code = totp_code(kSeed20, at(now)).value();
  const std::uint64_t used = verify_totp(kSeed20, code, at(now), std::nullopt).value();
  EXPECT_EQ(verify_totp(kSeed20, code, at(now), used).error(), ApprovalsErrc::replayed);
  // Still refused 30 s later, while the step is in the window as "previous".
  EXPECT_EQ(verify_totp(kSeed20, code, at(now + 30), used).error(), ApprovalsErrc::replayed);
  // An older code, still in the window, is refused too once a newer step was used.
  const std::string previous = hotp_code(kSeed20, used - 1).value();
  EXPECT_EQ(verify_totp(kSeed20, previous, at(now), used).error(), ApprovalsErrc::replayed);
  // The next step's code is fine.
  const std::string next = hotp_code(kSeed20, used + 1).value();
  EXPECT_EQ(verify_totp(kSeed20, next, at(now + 30), used).value(), used + 1);
}

TEST(VerifyTotp, WrongAndMalformedCodes) {
  const std::int64_t now = 1700000015;
  std::string code = totp_code(kSeed20, at(now)).value();
  code[5] = code[5] == '9' ? '0' : static_cast<char>(code[5] + 1);
  // A one-digit change could collide with a neighbouring step's code; make sure it does not here.
  const std::uint64_t step = totp_step(at(now)).value();
  ASSERT_NE(code, hotp_code(kSeed20, step - 1).value());
  ASSERT_NE(code, hotp_code(kSeed20, step + 1).value());
  EXPECT_EQ(verify_totp(kSeed20, code, at(now), std::nullopt).error(),
            ApprovalsErrc::unauthenticated);
  for (const char* bad : {"", "12345", "1234567", "12345a", " 123456", "12345\n", "１２３４５６"}) {
    EXPECT_EQ(verify_totp(kSeed20, bad, at(now), std::nullopt).error(),
              ApprovalsErrc::invalid_input)
        << bad;
  }
  EXPECT_EQ(verify_totp(bytes_of("too short"), "123456", at(now), std::nullopt).error(),
            ApprovalsErrc::invalid_input);
}

TEST(VerifyTotp, EightDigitSha512) {
  const TotpParams params{OtpHash::sha512, 8};
  EXPECT_EQ(verify_totp(kSeed64, "47863826", at(20000000000), std::nullopt, params).value(),
            0x27BC86AAu);
}

TEST(VerifyTotp, StepZeroHasNoPreviousStep) {
  const std::string code = hotp_code(kSeed20, 0).value();
  EXPECT_EQ(verify_totp(kSeed20, code, at(10), std::nullopt).value(), 0u);
}

TEST(Base32, Rfc4648VectorsWithoutPadding) {
  EXPECT_EQ(base32_encode(bytes_of("")), "");
  EXPECT_EQ(base32_encode(bytes_of("f")), "MY");
  EXPECT_EQ(base32_encode(bytes_of("fo")), "MZXQ");
  EXPECT_EQ(base32_encode(bytes_of("foo")), "MZXW6");
  EXPECT_EQ(base32_encode(bytes_of("foob")), "MZXW6YQ");
  EXPECT_EQ(base32_encode(bytes_of("fooba")), "MZXW6YTB");
  EXPECT_EQ(base32_encode(bytes_of("foobar")), "MZXW6YTBOI");
  EXPECT_EQ(base32_encode(kSeed20), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  for (const char* text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(base32_decode(base32_encode(bytes_of(text))).value(), bytes_of(text)) << text;
  }
}

TEST(Base32, RefusesNonCanonicalText) {
  for (const char* bad :
       {"MZXW6===", "mzxw6", "M", "MZX", "MZXW6Y", "MZ", "MZXW7", "MZ XW6", "0O"}) {
    EXPECT_EQ(base32_decode(bad).error(), ApprovalsErrc::invalid_input) << bad;
  }
}

TEST(OtpauthUri, PercentEncodesLabelAndIssuer) {
  EXPECT_EQ(otpauth_uri("alice", kSeed20).value(),
            "otpauth://totp/jitbroker:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=jitbroker&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(otpauth_uri("bob smith@corp:x/y?z&w=1", kSeed20, {}, "Corp Inc").value(),
            "otpauth://totp/Corp%20Inc:bob%20smith%40corp%3Ax%2Fy%3Fz%26w%3D1"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Corp%20Inc&algorithm=SHA1&digits=6"
            "&period=30");
  EXPECT_EQ(percent_encode("\xC3\xA9~-._"), "%C3%A9~-._");
  EXPECT_EQ(otpauth_uri("", kSeed20).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(otpauth_uri("alice", bytes_of("short")).error(), ApprovalsErrc::invalid_input);
}

TEST(TotpSecret, IsRandomAnd160Bits) {
  const ca::Bytes a = generate_totp_secret().value();
  const ca::Bytes b = generate_totp_secret().value();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace jit::approvals
