#include "ca/krl.hpp"

#include "ca/krl_builder.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "support/ssh_test_support.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace jit::ca {
namespace {

using testing::golden_ca;
using testing::ssh_test_file;
using testing::to_bytes;

// A KRL header followed by whatever sections the test writes.
Bytes krl_with(const std::function<void(ByteWriter&)>& sections, std::uint32_t format = 1) {
  ByteWriter out;
  out.u64(0x5353484B524C0A00);
  out.u32(format);
  out.u64(5);
  out.u64(1700000000);
  out.u64(0);
  out.string(ByteView{});
  out.string("comment");
  sections(out);
  return out.take();
}

// A certificate section for the golden CA holding one subsection.
std::function<void(ByteWriter&)> cert_subsection(std::uint8_t type,
                                                 const std::function<void(ByteWriter&)>& body) {
  return [=](ByteWriter& out) {
    ByteWriter data;
    body(data);
    ByteWriter section;
    section.string(golden_ca().blob());
    section.string(ByteView{});
    section.u8(type);
    section.string(data.bytes());
    out.u8(1);
    out.string(section.bytes());
  };
}

TEST(KrlParser, ReadsKrlsMadeBySshKeygen) {
  const std::string file = ssh_test_file("keygen.krl");
  auto krl = parse_krl(as_bytes(file));
  ASSERT_TRUE(krl) << krl.error().message();
  EXPECT_EQ(krl->version, 12u);
  ASSERT_EQ(krl->certificate_scopes.size(), 1u);
  const KrlCertificateScope& scope = krl->certificate_scopes[0];
  const SshPublicKey ca_key = golden_ca();
  const ByteView ca = ca_key.blob();
  EXPECT_TRUE(std::equal(scope.ca_key_blob.begin(), scope.ca_key_blob.end(), ca.begin(), ca.end()));
  std::vector<KrlSerialRange> expected{{7, 7}, {100, 200}};
  for (std::uint64_t s = 1000; s <= 1100; s += 2) expected.push_back({s, s});
  EXPECT_EQ(scope.serials, expected);
  EXPECT_EQ(scope.key_ids, (std::vector<std::string>{"alice@jit", "jit:req-1:alice:prod-db-read"}));
}

TEST(KrlParser, ReadsKeyAndHashSections) {
  const SshPublicKey user = *SshPublicKey::parse_line(ssh_test_file("ed25519_user.pub"));
  const SshPublicKey other = *SshPublicKey::parse_line(ssh_test_file("ecdsa256_ca.pub"));
  const SshPublicKey third = *SshPublicKey::parse_line(ssh_test_file("ecdsa384_user.pub"));
  Bytes digest(32);
  unsigned int length = 0;
  ASSERT_EQ(EVP_Digest(other.blob().data(), other.blob().size(),
                       as_uchars(std::span<std::byte>(digest)), &length, EVP_sha256(), nullptr),
            1);
  Bytes sha1(20);
  ASSERT_EQ(EVP_Digest(third.blob().data(), third.blob().size(),
                       as_uchars(std::span<std::byte>(sha1)), &length, EVP_sha1(), nullptr),
            1);
  auto krl = parse_krl(krl_with([&](ByteWriter& out) {
    ByteWriter keys;
    keys.string(user.blob());
    out.u8(2);
    out.string(keys.bytes());
    ByteWriter hashes;
    hashes.string(digest);
    out.u8(5);
    out.string(hashes.bytes());
    ByteWriter sha1s;
    sha1s.string(sha1);
    out.u8(3);
    out.string(sha1s.bytes());
  }));
  ASSERT_TRUE(krl);
  EXPECT_TRUE(is_key_revoked(*krl, user));
  EXPECT_TRUE(is_key_revoked(*krl, other));
  EXPECT_TRUE(is_key_revoked(*krl, third));
  EXPECT_FALSE(is_key_revoked(*krl, golden_ca()));
}

TEST(KrlParser, RefusesWhatSshdRefuses) {
  const auto list = [](std::initializer_list<std::uint64_t> serials) {
    return cert_subsection(0x20, [=](ByteWriter& w) {
      for (auto s : serials) w.u64(s);
    });
  };
  const auto bitmap = [](std::uint64_t offset, Bytes magnitude) {
    return cert_subsection(0x22, [=](ByteWriter& w) {
      w.u64(offset);
      w.mpint_positive(magnitude);
    });
  };
  struct Case {
    const char* name;
    Bytes krl;
  };
  std::vector<Case> cases{
      {"format version 2", krl_with([](ByteWriter&) {}, 2)},
      {"serial 0 in a list", krl_with(list({5, 0}))},
      {"range min 0", krl_with(cert_subsection(0x21,
                                               [](ByteWriter& w) {
                                                 w.u64(0);
                                                 w.u64(4);
                                               }))},
      {"range min > max", krl_with(cert_subsection(0x21,
                                                   [](ByteWriter& w) {
                                                     w.u64(9);
                                                     w.u64(4);
                                                   }))},
      {"range with trailing bytes", krl_with(cert_subsection(0x21,
                                                             [](ByteWriter& w) {
                                                               w.u64(1);
                                                               w.u64(4);
                                                               w.u8(0);
                                                             }))},
      {"list with a partial serial",
       krl_with(cert_subsection(0x20, [](ByteWriter& w) { w.u32(1); }))},
      {"bitmap revoking serial 0", krl_with(bitmap(0, Bytes{std::byte{0x01}}))},
      {"bitmap wrapping past 2^64", krl_with(bitmap(UINT64_MAX, Bytes{std::byte{0x02}}))},
      {"bitmap larger than sshd reads", krl_with(bitmap(1, Bytes(2049, std::byte{0x55})))},
      {"cert extension subsection 0x39",
       krl_with(cert_subsection(0x39, [](ByteWriter& w) { w.string("x"); }))},
      {"unknown cert subsection", krl_with(cert_subsection(0x24, [](ByteWriter&) {}))},
      {"NUL in key id", krl_with(cert_subsection(
                            0x23, [](ByteWriter& w) { w.string(std::string_view("a\0b", 3)); }))},
      {"signature section", krl_with([](ByteWriter& w) {
         w.u8(4);
         w.string(golden_ca().blob());
       })},
      {"extension section 255", krl_with([](ByteWriter& w) {
         w.u8(255);
         w.string(ByteView{});
       })},
      {"SHA256 of 20 bytes", krl_with([](ByteWriter& w) {
         ByteWriter hashes;
         hashes.string(Bytes(20));
         w.u8(5);
         w.string(hashes.bytes());
       })},
      {"trailing byte after a section", krl_with([list](ByteWriter& w) {
         list({5})(w);
         w.u8(1);
       })},
  };
  for (const auto& c : cases) {
    auto krl = parse_krl(c.krl);
    ASSERT_FALSE(krl) << c.name;
    EXPECT_EQ(krl.error(), CaErrc::malformed) << c.name;
  }
  Bytes bad_magic = krl_with([](ByteWriter&) {});
  bad_magic[0] = std::byte{'X'};
  EXPECT_EQ(parse_krl(bad_magic).error(), CaErrc::malformed);
  // Within limits the same shapes are fine.
  EXPECT_TRUE(parse_krl(krl_with(bitmap(1, Bytes(2047, std::byte{0x55})))));
  EXPECT_TRUE(parse_krl(krl_with(bitmap(UINT64_MAX - 1, Bytes{std::byte{0x03}}))));
}

TEST(KrlParser, TruncationFailsExceptAtSectionBoundaries) {
  KrlBuilder builder;
  for (std::uint64_t s : {3, 4, 5, 9, 100, 102, 104, 7000})
    ASSERT_TRUE(builder.add(golden_ca(), {s, "", 2000000000}));
  ASSERT_TRUE(builder.add(golden_ca(), {0, "id-1", 2000000000}));
  const Bytes krl = builder.build(1, testing::kTestNow)->bytes;
  const std::size_t header = 8 + 4 + 8 + 8 + 8 + 4 + 4;
  for (std::size_t n = 0; n < krl.size(); ++n) {
    auto parsed = parse_krl(ByteView(krl).first(n));
    // The one section of this KRL spans from the header's end to the end of the file.
    if (n == header) {
      EXPECT_TRUE(parsed) << n;
    } else {
      ASSERT_FALSE(parsed) << n;
      EXPECT_EQ(parsed.error(), CaErrc::malformed) << n;
    }
  }
}

TEST(KrlParser, WildcardScopeAppliesToEveryCa) {
  const Bytes krl = krl_with([](ByteWriter& out) {
    ByteWriter ids;
    ids.string("wanted");
    ByteWriter section;
    section.string(ByteView{});  // any CA
    section.string(ByteView{});
    section.u8(0x23);
    section.string(ids.bytes());
    out.u8(1);
    out.string(section.bytes());
  });
  auto parsed = parse_krl(krl);
  ASSERT_TRUE(parsed);
  std::vector<SshCaKey> keys;
  keys.push_back(testing::must_generate(KeyAlgorithm::ed25519));
  const auto ca = SshCertificateAuthority::create(std::move(keys));
  SshCertificateProfile profile = testing::test_profile();
  profile.key_id = "wanted";
  SshCertificate certificate = *ca->issue_user_certificate(golden_ca(), profile);
  EXPECT_TRUE(is_revoked(*parsed, certificate));
  certificate.key_id = "other";
  EXPECT_FALSE(is_revoked(*parsed, certificate));
}

}  // namespace
}  // namespace jit::ca
