#include "ca/ca_error.hpp"

#include <string>

namespace jit::ca {
namespace {

class CaCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "jit.ca"; }
  std::string message(int value) const override {
    switch (static_cast<CaErrc>(value)) {
      case CaErrc::malformed:
        return "malformed input";
      case CaErrc::unsupported_key:
        return "unsupported key type or size";
      case CaErrc::bad_signature:
        return "signature does not verify";
      case CaErrc::invalid_argument:
        return "value not allowed by the certificate profile";
      case CaErrc::key_unavailable:
        return "key file missing, unreadable or locked";
      case CaErrc::crypto_failure:
        return "cryptographic operation failed";
      case CaErrc::io_failure:
        return "file could not be written";
      case CaErrc::signer_unavailable:
        return "the CA key is not reachable; try again later";
    }
    return "unknown ca error";
  }
};

}  // namespace

const boost::system::error_category& ca_category() noexcept {
  static const CaCategory category;
  return category;
}

}  // namespace jit::ca
