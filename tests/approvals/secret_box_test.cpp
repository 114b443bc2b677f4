#include "approvals/secret_box.hpp"

#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using testing::bytes_of;

TEST(SecretBox, RoundTripWithAssociatedData) {
  const ca::Bytes key = generate_data_key().value();
  const ca::Bytes secret = bytes_of("12345678901234567890");
  const ca::Bytes sealed = seal_secret(key, secret, bytes_of("alice")).value();
  EXPECT_EQ(sealed.size(), 1 + 12 + secret.size() + 16);
  EXPECT_EQ(sealed[0], std::byte{0x01});
  EXPECT_EQ(open_secret(key, sealed, bytes_of("alice")).value(), secret);
  // Fresh nonce each time.
  EXPECT_NE(seal_secret(key, secret, bytes_of("alice")).value(), sealed);
  // Empty plaintext is allowed.
  const ca::Bytes empty_sealed = seal_secret(key, {}, bytes_of("alice")).value();
  EXPECT_TRUE(open_secret(key, empty_sealed, bytes_of("alice")).value().empty());
}

TEST(SecretBox, AnotherUsersRowDoesNotOpen) {
  const ca::Bytes key = generate_data_key().value();
  const ca::Bytes sealed = seal_secret(key, bytes_of("secret"), bytes_of("alice")).value();
  EXPECT_EQ(open_secret(key, sealed, bytes_of("bob")).error(), ApprovalsErrc::unauthenticated);
  EXPECT_EQ(open_secret(key, sealed, {}).error(), ApprovalsErrc::unauthenticated);
}

TEST(SecretBox, EveryFlippedByteIsDetected) {
  const ca::Bytes key = generate_data_key().value();
  const ca::Bytes sealed = seal_secret(key, bytes_of("secret"), bytes_of("alice")).value();
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    ca::Bytes tampered = sealed;
    tampered[i] ^= std::byte{0x01};
    const auto opened = open_secret(key, tampered, bytes_of("alice"));
    ASSERT_TRUE(opened.has_error()) << i;
    // Byte 0 is the version: an unknown one does not parse; any other change fails the tag.
    EXPECT_EQ(opened.error(),
              i == 0 ? ApprovalsErrc::invalid_input : ApprovalsErrc::unauthenticated)
        << i;
  }
}

TEST(SecretBox, WrongKeyAndMalformedInput) {
  const ca::Bytes key = generate_data_key().value();
  const ca::Bytes other = generate_data_key().value();
  const ca::Bytes sealed = seal_secret(key, bytes_of("secret"), bytes_of("alice")).value();
  EXPECT_EQ(open_secret(other, sealed, bytes_of("alice")).error(), ApprovalsErrc::unauthenticated);
  for (std::size_t length = 0; length < 29; ++length) {
    EXPECT_EQ(open_secret(key, ca::ByteView(sealed).first(length), bytes_of("alice")).error(),
              ApprovalsErrc::invalid_input)
        << length;
  }
  // Truncating into the ciphertext leaves a well-formed but unauthentic box.
  EXPECT_EQ(
      open_secret(key, ca::ByteView(sealed).first(sealed.size() - 1), bytes_of("alice")).error(),
      ApprovalsErrc::unauthenticated);
  EXPECT_EQ(seal_secret(ca::Bytes(31), bytes_of("s"), {}).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(open_secret(ca::Bytes(33), sealed, {}).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(seal_secret(key, ca::Bytes(kMaxSealedPlaintextBytes + 1), {}).error(),
            ApprovalsErrc::invalid_input);
}

}  // namespace
}  // namespace jit::approvals
