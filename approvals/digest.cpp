#include "approvals/digest.hpp"

#include "ca/openssl_handles.hpp"

#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

namespace jit::approvals {

Result<Sha256Digest> sha256(ca::ByteView data) {
  Sha256Digest out{};
  unsigned int length = 0;
  ca::clear_openssl_errors();
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &length,
                 EVP_sha256(), nullptr) != 1 ||
      length != out.size()) {
    return ApprovalsErrc::internal_error;
  }
  return out;
}

Result<Sha256Digest> hmac_sha256(ca::ByteView key, ca::ByteView data) {
  if (key.empty()) return ApprovalsErrc::invalid_input;
  Sha256Digest out{};
  unsigned int length = 0;
  ca::clear_openssl_errors();
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), ca::as_uchars(data), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &length) == nullptr ||
      length != out.size()) {
    return ApprovalsErrc::internal_error;
  }
  return out;
}

Result<Sha256Digest> hkdf_sha256(ca::ByteView input_key, std::string_view info) {
  if (input_key.size() < 32 || info.empty()) return ApprovalsErrc::invalid_input;
  ca::clear_openssl_errors();
  ca::EvpKdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return ApprovalsErrc::internal_error;
  ca::EvpKdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return ApprovalsErrc::internal_error;
  // OSSL_PARAM takes non-const pointers; EVP_KDF_derive only reads them.
  char digest_name[] = "SHA256";
  const OSSL_PARAM settings[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<unsigned char*>(ca::as_uchars(input_key)),
                                        input_key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end(),
  };
  Sha256Digest out{};
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     settings) != 1) {
    return ApprovalsErrc::internal_error;
  }
  return out;
}

}  // namespace jit::approvals
