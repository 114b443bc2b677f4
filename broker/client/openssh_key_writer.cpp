#include "broker/client/openssh_key_writer.hpp"

#include "ca/bytes.hpp"
#include "ca/ssh_public_key.hpp"
#include "ca/ssh_wire.hpp"

#include <openssl/rand.h>

#include <array>

namespace jit::broker {
namespace {

constexpr std::string_view kMagic{"openssh-key-v1\0", 15};
constexpr std::size_t kBlockSize = 8;  // cipher "none"
constexpr std::size_t kMaxComment = 1024;
constexpr std::size_t kLineWidth = 70;  // as ssh-keygen wraps it

// Zeroes a fixed buffer on every path out of the function.
template <std::size_t N>
struct WipedArray {
  std::array<std::byte, N> bytes{};
  ~WipedArray() { ca::wipe(bytes); }
};

// Zeroes a growing buffer; its capacity is reserved up front so no reallocation leaves a copy of
// the secret behind in freed memory.
struct WipedBytes {
  ca::Bytes bytes;
  ~WipedBytes() { ca::wipe(bytes); }
};

}  // namespace

Result<std::string> openssh_ed25519_private_key_text(const EVP_PKEY* key,
                                                     std::string_view comment) {
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
    return ca::CaErrc::unsupported_key;
  if (comment.size() > kMaxComment || !ca::is_printable_ascii(comment))
    return ca::CaErrc::invalid_argument;
  ca::clear_openssl_errors();
  WipedArray<32> seed;
  WipedArray<32> public_key;
  std::size_t seed_length = seed.bytes.size();
  std::size_t public_length = public_key.bytes.size();
  if (EVP_PKEY_get_raw_private_key(key, ca::as_uchars(std::span<std::byte>(seed.bytes)),
                                   &seed_length) != 1 ||
      seed_length != 32 ||
      EVP_PKEY_get_raw_public_key(key, ca::as_uchars(std::span<std::byte>(public_key.bytes)),
                                  &public_length) != 1 ||
      public_length != 32) {
    ca::clear_openssl_errors();
    return ca::CaErrc::unsupported_key;  // a public key only
  }
  auto public_blob = ca::SshPublicKey::from_evp(key);
  if (!public_blob) return public_blob.error();
  std::uint32_t check = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&check), sizeof check) != 1) {
    ca::clear_openssl_errors();
    return ca::CaErrc::crypto_failure;
  }

  // Private section: check ints (equal: a decryption check), type, public key, seed || public key
  // (OpenSSH's 64-byte "secret key"), comment, then padding 1, 2, 3, ... to the block size.
  ca::ByteWriter section;
  section.reserve(256 + comment.size());
  section.u32(check);
  section.u32(check);
  section.string("ssh-ed25519");
  section.string(public_key.bytes);
  WipedArray<64> secret;
  std::copy(seed.bytes.begin(), seed.bytes.end(), secret.bytes.begin());
  std::copy(public_key.bytes.begin(), public_key.bytes.end(), secret.bytes.begin() + 32);
  section.string(secret.bytes);
  section.string(comment);
  for (std::uint8_t pad = 1; section.size() % kBlockSize != 0; ++pad) section.u8(pad);
  WipedBytes private_section{section.take()};

  ca::ByteWriter file;
  file.reserve(512 + comment.size());
  file.raw(ca::as_bytes(kMagic));
  file.string("none");          // cipher
  file.string("none");          // kdf
  file.string(ca::ByteView{});  // kdf options
  file.u32(1);                  // number of keys
  file.string(public_blob->blob());
  file.string(private_section.bytes);
  WipedBytes binary{file.take()};

  std::string base64 = ca::base64_encode(binary.bytes);
  std::string text;
  text.reserve(base64.size() + base64.size() / kLineWidth + 80);
  text += "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  for (std::size_t at = 0; at < base64.size(); at += kLineWidth) {
    text.append(base64, at, kLineWidth);
    text += '\n';
  }
  text += "-----END OPENSSH PRIVATE KEY-----\n";
  ca::wipe(base64);
  return text;
}

}  // namespace jit::broker
