#include "approvals/secret_box.hpp"

#include "approvals/secure_random.hpp"
#include "ca/openssl_handles.hpp"

#include <array>
#include <limits>

namespace jit::approvals {
namespace {

constexpr std::byte kVersion{0x01};
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kOverhead = 1 + kNonceBytes + kTagBytes;
// Associated data has no format limit, but an absurd size is a caller bug, not a secret.
constexpr std::size_t kMaxAssociatedBytes = 64 * 1024;

unsigned char* writable(ca::Bytes& bytes) noexcept {
  return reinterpret_cast<unsigned char*>(bytes.data());
}

bool sizes_allowed(ca::ByteView key, ca::ByteView associated) {
  return key.size() == kDataKeyBytes && associated.size() <= kMaxAssociatedBytes;
}

// GCM authenticates the version byte first, then the caller's associated data.
bool add_associated_data(EVP_CIPHER_CTX* ctx, ca::ByteView associated) {
  int length = 0;
  const unsigned char version = std::to_integer<unsigned char>(kVersion);
  if (EVP_CipherUpdate(ctx, nullptr, &length, &version, 1) != 1) return false;
  if (!associated.empty() && EVP_CipherUpdate(ctx, nullptr, &length, ca::as_uchars(associated),
                                              static_cast<int>(associated.size())) != 1) {
    return false;
  }
  return true;
}

}  // namespace

Result<ca::Bytes> generate_data_key() { return random_bytes(kDataKeyBytes); }

Result<ca::Bytes> seal_secret(ca::ByteView data_key, ca::ByteView plaintext,
                              ca::ByteView associated_data) {
  if (!sizes_allowed(data_key, associated_data) || plaintext.size() > kMaxSealedPlaintextBytes) {
    return ApprovalsErrc::invalid_input;
  }
  auto nonce = random_bytes(kNonceBytes);
  if (!nonce) return nonce.error();
  ca::Bytes sealed(kOverhead + plaintext.size());
  sealed[0] = kVersion;
  std::copy(nonce->begin(), nonce->end(), sealed.begin() + 1);
  unsigned char* ciphertext = ca::as_uchars(std::span(sealed).subspan(1 + kNonceBytes));

  ca::clear_openssl_errors();
  ca::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (!ctx ||
      EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), ca::as_uchars(data_key), writable(*nonce),
                          nullptr) != 1 ||
      !add_associated_data(ctx.get(), associated_data) ||
      (!plaintext.empty() &&
       EVP_EncryptUpdate(ctx.get(), ciphertext, &length, ca::as_uchars(plaintext),
                         static_cast<int>(plaintext.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), ciphertext + plaintext.size(), &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          ciphertext + plaintext.size()) != 1) {
    return ApprovalsErrc::internal_error;
  }
  return sealed;
}

Result<ca::Bytes> open_secret(ca::ByteView data_key, ca::ByteView sealed,
                              ca::ByteView associated_data) {
  if (!sizes_allowed(data_key, associated_data) || sealed.size() < kOverhead ||
      sealed.size() > kOverhead + kMaxSealedPlaintextBytes || sealed[0] != kVersion) {
    return ApprovalsErrc::invalid_input;
  }
  const ca::ByteView nonce = sealed.subspan(1, kNonceBytes);
  const ca::ByteView ciphertext = sealed.subspan(1 + kNonceBytes, sealed.size() - kOverhead);
  const ca::ByteView tag = sealed.subspan(sealed.size() - kTagBytes);
  ca::Bytes plaintext(ciphertext.size());
  std::array<unsigned char, kTagBytes> tag_copy{};
  std::copy_n(ca::as_uchars(tag), kTagBytes, tag_copy.begin());

  ca::clear_openssl_errors();
  ca::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (!ctx ||
      EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), ca::as_uchars(data_key),
                          ca::as_uchars(nonce), nullptr) != 1 ||
      !add_associated_data(ctx.get(), associated_data) ||
      (!ciphertext.empty() &&
       EVP_DecryptUpdate(ctx.get(), writable(plaintext), &length, ca::as_uchars(ciphertext),
                         static_cast<int>(ciphertext.size())) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                          tag_copy.data()) != 1) {
    ca::wipe(plaintext);
    return ApprovalsErrc::internal_error;
  }
  if (EVP_DecryptFinal_ex(ctx.get(), writable(plaintext) + plaintext.size(), &length) != 1) {
    ca::wipe(plaintext);
    ca::clear_openssl_errors();
    return ApprovalsErrc::unauthenticated;
  }
  return plaintext;
}

}  // namespace jit::approvals
