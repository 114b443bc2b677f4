#include "approvals/secure_random.hpp"

#include "ca/openssl_handles.hpp"

#include <openssl/rand.h>

#include <limits>

namespace jit::approvals {

Result<ca::Bytes> random_bytes(std::size_t count) {
  if (count > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return ApprovalsErrc::invalid_input;
  }
  ca::Bytes out(count);
  ca::clear_openssl_errors();
  if (count > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    return ApprovalsErrc::internal_error;
  }
  return out;
}

}  // namespace jit::approvals
