#include "ca/krl_file.hpp"

#include "ca/atomic_file.hpp"
#include "ca/krl_builder.hpp"
#include "support/ssh_test_support.hpp"

#include <gtest/gtest.h>

namespace jit::ca {
namespace {

using testing::kTestNow;

Bytes krl_version(std::uint64_t version, std::uint64_t serial = 5) {
  KrlBuilder builder;
  const auto ca = SshPublicKey::parse_line(testing::ssh_test_file("ed25519_ca.pub"));
  EXPECT_TRUE(builder.add(*ca, {serial, "", 2000000000}));
  return builder.build(version, kTestNow)->bytes;
}

TEST(KrlFile, WritesOnlyIncreasingVersions) {
  testing::TempDir dir;
  const auto path = dir / "revoked.krl";
  ASSERT_TRUE(write_krl_file(path, krl_version(3)));
  EXPECT_EQ(read_krl_file(path)->version, 3u);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            static_cast<std::filesystem::perms>(0644));
  EXPECT_EQ(write_krl_file(path, krl_version(3, 6)).error(), CaErrc::invalid_argument);
  EXPECT_EQ(write_krl_file(path, krl_version(2, 6)).error(), CaErrc::invalid_argument);
  EXPECT_EQ(read_krl_file(path)->certificate_scopes[0].serials[0].first, 5u);  // unchanged
  ASSERT_TRUE(write_krl_file(path, krl_version(4, 6)));
  EXPECT_EQ(read_krl_file(path)->certificate_scopes[0].serials[0].first, 6u);
}

TEST(KrlFile, NeverPublishesAMalformedKrl) {
  testing::TempDir dir;
  const auto path = dir / "revoked.krl";
  ASSERT_TRUE(write_krl_file(path, krl_version(1)));
  Bytes broken = krl_version(2);
  broken.push_back(std::byte{1});
  EXPECT_EQ(write_krl_file(path, broken).error(), CaErrc::malformed);
  EXPECT_EQ(read_krl_file(path)->version, 1u);
  // No temporary file is left behind either.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(KrlFile, ReplacesAFileThatIsNotAKrl) {
  testing::TempDir dir;
  const auto path = dir / "revoked.krl";
  testing::write_text_file(path, "garbage");
  ASSERT_TRUE(write_krl_file(path, krl_version(1)));
  EXPECT_EQ(read_krl_file(path)->version, 1u);
  EXPECT_EQ(read_krl_file(dir / "missing.krl").error(), CaErrc::key_unavailable);
}

}  // namespace
}  // namespace jit::ca
