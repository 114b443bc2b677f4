#include "ca/openssh_private_key.hpp"
#include "ca/ssh_ca_key.hpp"
#include "ca/ssh_signature.hpp"

#include "support/ssh_test_support.hpp"

#include <gtest/gtest.h>

namespace jit::ca {
namespace {

using testing::ssh_test_file;

Bytes decode_armor(const std::string& text) {
  const std::string begin = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  const std::size_t start = text.find(begin) + begin.size();
  const std::size_t end = text.find("-----END");
  std::string base64;
  for (char c : text.substr(start, end - start)) {
    if (c != '\n') base64 += c;
  }
  Bytes out;
  EXPECT_TRUE(base64_decode(base64, out));
  return out;
}

std::string armor(ByteView binary) {
  const std::string base64 = base64_encode(binary);
  std::string text = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  for (std::size_t i = 0; i < base64.size(); i += 70) text += base64.substr(i, 70) + "\n";
  return text + "-----END OPENSSH PRIVATE KEY-----\n";
}

class OpensshKeyFile : public ::testing::TestWithParam<const char*> {};

TEST_P(OpensshKeyFile, LoadsAndMatchesItsPublicKey) {
  const std::string name = GetParam();
  const std::string text = ssh_test_file(name + ".key");
  EXPECT_TRUE(is_openssh_private_key(text));
  auto ca = SshCaKey::parse(text, std::nullopt);
  ASSERT_TRUE(ca) << ca.error().message();
  auto expected = SshPublicKey::parse_line(ssh_test_file(name + ".pub"));
  ASSERT_TRUE(expected);
  EXPECT_EQ(ca->public_key(), *expected);
  const Bytes message = testing::to_bytes("to be signed");
  auto signature = ca->sign(message);
  ASSERT_TRUE(signature);
  EXPECT_TRUE(ssh_verify(*expected, message, *signature));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, OpensshKeyFile,
                         ::testing::Values("ed25519_ca", "ecdsa256_ca", "ecdsa384_user",
                                           "ecdsa521_user", "rsa3072_ca"));

TEST(OpensshKeyFile, EncryptedKeysAreRefusedWithAClearError) {
  auto key = parse_openssh_private_key(ssh_test_file("ed25519_encrypted.key"));
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error(), OpensshKeyErrc::encrypted_key);
  EXPECT_NE(key.error().message().find("bcrypt_pbkdf"), std::string::npos);
  EXPECT_EQ(SshCaKey::parse(ssh_test_file("ed25519_encrypted.key"), "jit-test-passphrase").error(),
            OpensshKeyErrc::encrypted_key);
}

TEST(OpensshKeyFile, RefusesEveryTruncation) {
  const Bytes binary = decode_armor(ssh_test_file("ed25519_ca.key"));
  ASSERT_TRUE(parse_openssh_private_key(armor(binary)));
  for (std::size_t n = 0; n < binary.size(); ++n) {
    auto key = parse_openssh_private_key(armor(ByteView(binary).first(n)));
    ASSERT_FALSE(key) << n;
    EXPECT_EQ(key.error(), CaErrc::malformed) << n;
  }
  Bytes longer = binary;
  longer.push_back(std::byte{0});
  EXPECT_EQ(parse_openssh_private_key(armor(longer)).error(), CaErrc::malformed);
}

TEST(OpensshKeyFile, RefusesInconsistentContent) {
  const Bytes binary = decode_armor(ssh_test_file("ed25519_ca.key"));
  // Layout: magic(15) "none"(8) "none"(8) kdfopts(4) nkeys(4) pub(4+51) privlen(4) check1 check2
  // ...
  constexpr std::size_t kPublic = 15 + 8 + 8 + 4 + 4 + 4;
  constexpr std::size_t kPrivate = kPublic + 51 + 4;
  const auto flipped = [&](std::size_t at) {
    Bytes copy = binary;
    copy[at] ^= std::byte{0x01};
    return parse_openssh_private_key(armor(copy));
  };
  EXPECT_EQ(flipped(0).error(), CaErrc::malformed);             // magic
  EXPECT_EQ(flipped(kPublic + 50).error(), CaErrc::malformed);  // public key beside the private one
  EXPECT_EQ(flipped(kPrivate).error(), CaErrc::malformed);      // check int
  // type(4+11), pk string(4+32), sk string(4+64): the seed starts after its length.
  const std::size_t seed = kPrivate + 8 + 15 + 36 + 4;
  EXPECT_EQ(flipped(seed).error(), CaErrc::malformed);               // seed no longer gives pk
  EXPECT_EQ(flipped(seed + 40).error(), CaErrc::malformed);          // pk copy inside sk
  EXPECT_EQ(flipped(binary.size() - 1).error(), CaErrc::malformed);  // padding byte
  EXPECT_EQ(parse_openssh_private_key("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n").error(),
            CaErrc::malformed);
}

TEST(SshCaKey, LoadsPemAndEncryptedPkcs8) {
  auto generated = SshCaKey::generate(KeyAlgorithm::ecdsa_p256);
  ASSERT_TRUE(generated);
  auto pem = private_key_to_pem(generated->private_key(), "secret");
  ASSERT_TRUE(pem);
  auto loaded = SshCaKey::parse(*pem, "secret");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->public_key(), generated->public_key());
  EXPECT_EQ(loaded->signature_algorithm(), "ecdsa-sha2-nistp256");
  EXPECT_EQ(SshCaKey::parse(*pem, "wrong").error(), CaErrc::key_unavailable);
  EXPECT_EQ(SshCaKey::parse(*pem, std::nullopt).error(), CaErrc::key_unavailable);
}

TEST(SshCaKey, LoadOrGenerateCreatesA0600FileOnce) {
  testing::TempDir dir;
  const auto path = dir / "ssh_ca.pem";
  auto first = SshCaKey::load_or_generate_file(path, "pass", KeyAlgorithm::ed25519);
  ASSERT_TRUE(first);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto second = SshCaKey::load_or_generate_file(path, "pass", KeyAlgorithm::ed25519);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->public_key(), first->public_key());
  EXPECT_EQ(SshCaKey::load_file(dir / "missing.pem", std::nullopt).error(),
            CaErrc::key_unavailable);
}

TEST(SshCaKey, RefusesShortRsaAndEmptyKeys) {
  EvpPkeyPtr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  EXPECT_EQ(SshCaKey::from_private_key(std::move(rsa)).error(), CaErrc::unsupported_key);
  EXPECT_EQ(SshCaKey::from_private_key(nullptr).error(), CaErrc::invalid_argument);
  // A public key alone cannot be a CA key.
  auto public_only = SshPublicKey::parse_line(ssh_test_file("ed25519_ca.pub"))->to_evp();
  ASSERT_TRUE(public_only);
  EXPECT_EQ(SshCaKey::from_private_key(std::move(*public_only)).error(), CaErrc::key_unavailable);
}

}  // namespace
}  // namespace jit::ca
