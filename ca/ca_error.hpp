// Errors of the ca/ library. Each value means one thing, so the broker can map it to one HTTP
// status (see broker's error mapping); the message is generic and safe to show, never OpenSSL's own
// text.
#pragma once

#include "ca/result.hpp"

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace jit::ca {

enum class CaErrc {
  malformed = 1,       // bytes or text from outside that do not parse (400)
  unsupported_key,     // a key type, curve or size we refuse (400)
  bad_signature,       // a signature that does not verify (400)
  invalid_argument,    // a request the certificate profile forbids, e.g. a NUL in a principal (400)
  key_unavailable,     // a key file missing or unreadable, or a wrong passphrase (start-up error)
  crypto_failure,      // OpenSSL failed on input that was valid: an internal fault (500)
  io_failure,          // a file could not be written or renamed (500)
  signer_unavailable,  // the CA key's device (PKCS#11 token) cannot be reached now (503)
};

const boost::system::error_category& ca_category() noexcept;

inline boost::system::error_code make_error_code(CaErrc e) noexcept {
  return {static_cast<int>(e), ca_category()};
}

}  // namespace jit::ca

template <>
struct boost::system::is_error_code_enum<jit::ca::CaErrc> : std::true_type {};
