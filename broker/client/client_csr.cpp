#include "broker/client/client_csr.hpp"

#include "ca/private_key.hpp"

#include <openssl/pem.h>

namespace jit::broker {

Result<std::string> make_client_csr_pem(EVP_PKEY* key, std::string_view common_name) {
  if (common_name.empty() || common_name.size() > 64) return ca::CaErrc::invalid_argument;
  for (unsigned char c : common_name) {
    if (c < 0x20 || c == 0x7f) return ca::CaErrc::invalid_argument;
  }
  auto algorithm = ca::key_algorithm_of(key);
  if (!algorithm ||
      (*algorithm != ca::KeyAlgorithm::ecdsa_p256 && *algorithm != ca::KeyAlgorithm::ecdsa_p384)) {
    return ca::CaErrc::unsupported_key;
  }
  ca::clear_openssl_errors();
  ca::X509ReqPtr request(X509_REQ_new());
  ca::X509NamePtr subject(X509_NAME_new());
  if (!request || !subject || X509_REQ_set_version(request.get(), X509_REQ_VERSION_1) != 1 ||
      X509_NAME_add_entry_by_txt(subject.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1 ||
      X509_REQ_set_subject_name(request.get(), subject.get()) != 1 ||  // copies the name
      X509_REQ_set_pubkey(request.get(), key) != 1 ||                  // copies the public key
      X509_REQ_sign(request.get(), key, EVP_sha256()) <= 0) {
    ca::clear_openssl_errors();
    return ca::CaErrc::crypto_failure;
  }
  ca::BioPtr memory(BIO_new(BIO_s_mem()));
  if (!memory || PEM_write_bio_X509_REQ(memory.get(), request.get()) != 1) {
    ca::clear_openssl_errors();
    return ca::CaErrc::crypto_failure;
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(memory.get(), &data);
  if (length <= 0 || data == nullptr) return ca::CaErrc::crypto_failure;
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace jit::broker
