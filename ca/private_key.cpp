#include "ca/private_key.hpp"

#include "ca/atomic_file.hpp"
#include "ca/bytes.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstring>
#include <string>

namespace jit::ca {
namespace {

// PEM_read_bio_PrivateKey asks this for the passphrase; `user` points at an optional view.
int passphrase_callback(char* buffer, int size, int /*rwflag*/, void* user) {
  const auto* passphrase = static_cast<const std::optional<std::string_view>*>(user);
  if (passphrase == nullptr || !passphrase->has_value()) return -1;
  const std::string_view text = **passphrase;
  if (size < 0 || text.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buffer, text.data(), text.size());
  return static_cast<int>(text.size());
}

Result<std::string> bio_to_string(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  if (length < 0 || data == nullptr) return CaErrc::crypto_failure;
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

Result<EvpPkeyPtr> generate_private_key(KeyAlgorithm algorithm, int rsa_bits) {
  clear_openssl_errors();
  EVP_PKEY* key = nullptr;
  switch (algorithm) {
    case KeyAlgorithm::ed25519:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case KeyAlgorithm::ecdsa_p256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyAlgorithm::ecdsa_p384:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyAlgorithm::ecdsa_p521:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
      break;
    case KeyAlgorithm::rsa:
      if (rsa_bits < 3072) return CaErrc::unsupported_key;
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits));
      break;
  }
  if (key == nullptr) return CaErrc::crypto_failure;
  return EvpPkeyPtr(key);
}

Result<KeyAlgorithm> key_algorithm_of(const EVP_PKEY* key) {
  if (key == nullptr) return CaErrc::invalid_argument;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519:
      return KeyAlgorithm::ed25519;
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) < 3072) return CaErrc::unsupported_key;
      return KeyAlgorithm::rsa;
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t length = 0;
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &length) != 1) {
        return CaErrc::unsupported_key;
      }
      const std::string_view name(group, length);
      if (name == "prime256v1" || name == "P-256") return KeyAlgorithm::ecdsa_p256;
      if (name == "secp384r1" || name == "P-384") return KeyAlgorithm::ecdsa_p384;
      if (name == "secp521r1" || name == "P-521") return KeyAlgorithm::ecdsa_p521;
      return CaErrc::unsupported_key;
    }
    default:
      return CaErrc::unsupported_key;
  }
}

Result<EvpPkeyPtr> parse_private_key_pem(std::string_view pem,
                                         std::optional<std::string_view> passphrase) {
  clear_openssl_errors();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return CaErrc::crypto_failure;
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback, &passphrase));
  if (!key) {
    const unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    // A bad decrypt means the text was a key we could not unlock; anything else is not a key.
    const bool locked = ERR_GET_REASON(code) == EVP_R_BAD_DECRYPT ||
                        (pem.find("ENCRYPTED") != std::string_view::npos);
    return locked ? CaErrc::key_unavailable : CaErrc::malformed;
  }
  if (auto algorithm = key_algorithm_of(key.get()); !algorithm) return algorithm.error();
  return key;
}

Result<EvpPkeyPtr> load_private_key_file(const std::filesystem::path& path,
                                         std::optional<std::string_view> passphrase) {
  auto content = read_file(path, kMaxKeyFileBytes);
  if (!content) return content.error();
  auto key = parse_private_key_pem(as_chars(*content), passphrase);
  wipe(*content);
  return key;
}

Result<std::string> private_key_to_pem(const EVP_PKEY* key,
                                       std::optional<std::string_view> passphrase) {
  clear_openssl_errors();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return CaErrc::crypto_failure;
  int ok = 0;
  if (passphrase) {
    ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, EVP_aes_256_cbc(), passphrase->data(),
                                       static_cast<int>(passphrase->size()), nullptr, nullptr);
  } else {
    ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  }
  if (ok != 1) return CaErrc::crypto_failure;
  return bio_to_string(bio.get());
}

Result<void> save_private_key_file(const std::filesystem::path& path, const EVP_PKEY* key,
                                   std::optional<std::string_view> passphrase) {
  auto pem = private_key_to_pem(key, passphrase);
  if (!pem) return pem.error();
  auto written = write_file_atomically(path, as_bytes(*pem), 0600);
  wipe(*pem);
  return written;
}

Result<std::string> public_key_to_pem(const EVP_PKEY* key) {
  clear_openssl_errors();
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return CaErrc::crypto_failure;
  return bio_to_string(bio.get());
}

}  // namespace jit::ca
