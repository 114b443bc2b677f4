#include "approvals/digest.hpp"

#include "ca/openssl_handles.hpp"

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

}  // namespace jit::approvals
