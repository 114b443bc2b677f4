#include "ca/krl_builder.hpp"

#include "ca/krl.hpp"
#include "ca/krl_serial_encoding.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "support/ssh_test_support.hpp"

#include <gtest/gtest.h>

namespace jit::ca {
namespace {

using testing::golden_ca;
using testing::kTestNow;
using testing::ssh_test_file;

constexpr std::uint64_t kNow = 1893456000;

Bytes from_hex(std::string_view hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST(KrlBuilder, ProducesTheAnnotatedExampleByteForByte) {
  KrlBuilder builder;
  ASSERT_TRUE(builder.add(golden_ca(), {42, "", kNow + 60}));
  ASSERT_TRUE(builder.add(golden_ca(), {0, "alice@jit", kNow + 60}));
  auto built = builder.build(7, kTestNow);
  ASSERT_TRUE(built);
  // docs/protocols.md 3.6, with generated_date = kTestNow.
  const std::string expected = std::string("5353484b524c0a00") + "00000001" + "0000000000000007" +
                               "0000000070dbd880" + "0000000000000000" + "00000000" + "00000000" +
                               "01" + "0000005a" + "00000033" + hex_encode(golden_ca().blob()) +
                               "00000000" + "20" + "00000008" + "000000000000002a" + "23" +
                               "0000000d" + "00000009" + "616c696365406a6974";
  EXPECT_EQ(hex_encode(built->bytes), expected);
  EXPECT_EQ(built->bytes, from_hex(expected));
  EXPECT_EQ(built->revoked_serials, 1u);
  EXPECT_EQ(built->revoked_key_ids, 1u);
  EXPECT_EQ(built->pruned, 0u);
}

TEST(KrlBuilder, PrunesCertificatesThatHaveExpired) {
  KrlBuilder builder;
  ASSERT_TRUE(builder.add(golden_ca(), {1, "", kNow - 1}));
  ASSERT_TRUE(builder.add(golden_ca(), {2, "", kNow}));  // now >= valid_before: expired for sshd
  ASSERT_TRUE(builder.add(golden_ca(), {3, "", kNow + 1}));
  ASSERT_TRUE(builder.add(golden_ca(), {0, "gone", kNow}));
  EXPECT_EQ(builder.size(), 4u);
  auto built = builder.build(1, kTestNow);
  ASSERT_TRUE(built);
  EXPECT_EQ(built->pruned, 3u);
  auto krl = parse_krl(built->bytes);
  ASSERT_TRUE(krl);
  ASSERT_EQ(krl->certificate_scopes.size(), 1u);
  EXPECT_EQ(krl->certificate_scopes[0].serials, (std::vector<KrlSerialRange>{{3, 3}}));
  EXPECT_TRUE(krl->certificate_scopes[0].key_ids.empty());

  // Once everything has expired the KRL is just a header, which revokes nothing.
  auto later = builder.build(2, kTestNow + std::chrono::seconds(10));
  ASSERT_TRUE(later);
  EXPECT_EQ(later->pruned, 4u);
  EXPECT_EQ(later->bytes.size(), 8u + 4 + 8 + 8 + 8 + 4 + 4);
  EXPECT_TRUE(parse_krl(later->bytes)->certificate_scopes.empty());
}

TEST(KrlBuilder, ScopesRevocationsToTheirCa) {
  const SshCaKey first = testing::must_generate(KeyAlgorithm::ed25519);
  const SshCaKey second = testing::must_generate(KeyAlgorithm::ecdsa_p256);
  KrlBuilder builder;
  ASSERT_TRUE(builder.add(first.public_key(), {10, "jit:1:alice:r", kNow + 100}));
  ASSERT_TRUE(builder.add(second.public_key(), {11, "", kNow + 100}));
  ASSERT_TRUE(builder.add(first.public_key(), {10, "", kNow + 100}));  // duplicates collapse
  auto built = builder.build(3, kTestNow, "jitbroker");
  ASSERT_TRUE(built);
  EXPECT_EQ(built->revoked_serials, 2u);
  auto krl = parse_krl(built->bytes);
  ASSERT_TRUE(krl);
  EXPECT_EQ(krl->version, 3u);
  EXPECT_EQ(krl->generated_date, kNow);
  EXPECT_EQ(krl->comment, "jitbroker");
  ASSERT_EQ(krl->certificate_scopes.size(), 2u);

  const SshPublicKey subject = *SshPublicKey::parse_line(ssh_test_file("ed25519_user.pub"));
  const auto issue = [&](const SshCaKey& key, std::uint64_t serial, std::string key_id) {
    std::vector<SshCaKey> keys;
    keys.push_back(
        *SshCaKey::parse(*private_key_to_pem(key.private_key(), std::nullopt), std::nullopt));
    auto ca = SshCertificateAuthority::create(std::move(keys));
    SshCertificateProfile profile = testing::test_profile();
    profile.serial = serial;
    profile.key_id = std::move(key_id);
    return *ca->issue_user_certificate(subject, profile);
  };
  EXPECT_TRUE(is_revoked(*krl, issue(first, 10, "other")));
  EXPECT_TRUE(is_revoked(*krl, issue(first, 99, "jit:1:alice:r")));
  EXPECT_FALSE(is_revoked(*krl, issue(first, 11, "other")));
  EXPECT_TRUE(is_revoked(*krl, issue(second, 11, "other")));
  EXPECT_FALSE(
      is_revoked(*krl, issue(second, 10, "jit:1:alice:r")));  // key id scoped to the first CA
}

TEST(KrlBuilder, RefusesWhatCannotBeWritten) {
  KrlBuilder builder;
  EXPECT_EQ(builder.add(golden_ca(), {0, "", kNow}).error(), CaErrc::invalid_argument);
  EXPECT_EQ(builder.add(golden_ca(), {0, "a\nb", kNow}).error(), CaErrc::invalid_argument);
  EXPECT_EQ(builder.add(golden_ca(), {0, std::string(1025, 'k'), kNow}).error(),
            CaErrc::invalid_argument);
  EXPECT_EQ(builder.size(), 0u);
  EXPECT_EQ(builder.build(0, kTestNow).error(), CaErrc::invalid_argument);
  EXPECT_EQ(builder.build(1, kTestNow, "bad\ncomment").error(), CaErrc::invalid_argument);
}

TEST(KrlBuilder, LargeSetsRoundTripThroughTheReader) {
  KrlBuilder builder;
  std::vector<std::uint64_t> serials;
  for (std::uint64_t i = 1; i <= 5000; ++i)
    serials.push_back(i * 7 % 9973 + 1);                                    // dense but scattered
  for (std::uint64_t i = 0; i < 3000; ++i) serials.push_back(1000000 + i);  // consecutive
  for (std::uint64_t i = 1; i <= 2000; ++i) serials.push_back(i * 104729 * 1000);  // sparse
  for (std::uint64_t serial : serials)
    ASSERT_TRUE(builder.add(golden_ca(), {serial, "", kNow + 5}));
  auto built = builder.build(9, kTestNow);
  ASSERT_TRUE(built);
  auto krl = parse_krl(built->bytes);
  ASSERT_TRUE(krl);
  std::sort(serials.begin(), serials.end());
  serials.erase(std::unique(serials.begin(), serials.end()), serials.end());
  EXPECT_EQ(krl->certificate_scopes[0].serials, krl_serial_runs(serials));
}

}  // namespace
}  // namespace jit::ca
