#include "approvals/public_key_import.hpp"

#include <openssl/core_names.h>

#include <algorithm>
#include <array>

namespace jit::approvals {

Result<ca::EvpPkeyPtr> public_key_from_params(const char* type, OSSL_PARAM_BLD* builder) {
  ca::OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder));
  ca::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return ApprovalsErrc::internal_error;
  }
  EVP_PKEY* raw = nullptr;
  // fromdata refuses numbers of the wrong shape; that is the sender's fault.
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ca::clear_openssl_errors();
    return ApprovalsErrc::invalid_input;
  }
  ca::EvpPkeyPtr key(raw);
  ca::EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check) return ApprovalsErrc::internal_error;
  // For EC this refuses a point off the curve; for RSA it checks the modulus and exponent shape.
  if (EVP_PKEY_public_check(check.get()) != 1) {
    ca::clear_openssl_errors();
    return ApprovalsErrc::invalid_input;
  }
  return key;
}

Result<ca::EvpPkeyPtr> p256_public_key(ca::ByteView x, ca::ByteView y) {
  if (x.size() != kP256CoordinateBytes || y.size() != kP256CoordinateBytes) {
    return ApprovalsErrc::invalid_input;
  }
  std::array<unsigned char, 1 + 2 * kP256CoordinateBytes> point{};
  point[0] = 0x04;  // uncompressed
  std::copy_n(ca::as_uchars(x), kP256CoordinateBytes, point.begin() + 1);
  std::copy_n(ca::as_uchars(y), kP256CoordinateBytes, point.begin() + 1 + kP256CoordinateBytes);
  ca::clear_openssl_errors();
  ca::OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return ApprovalsErrc::internal_error;
  }
  return public_key_from_params("EC", builder.get());
}

Result<ca::EvpPkeyPtr> ed25519_public_key(ca::ByteView x) {
  if (x.size() != kEd25519PublicKeyBytes) return ApprovalsErrc::invalid_input;
  ca::clear_openssl_errors();
  ca::OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                                   ca::as_uchars(x), x.size()) != 1) {
    return ApprovalsErrc::internal_error;
  }
  return public_key_from_params("ED25519", builder.get());
}

}  // namespace jit::approvals
