// The certificate signing request `jit x509-cert` sends: PKCS#10, subject CN = the user, the public
// half of a key made on this machine, signed with it (SHA-256). Nothing else goes in: the broker
// takes only the key from a CSR and sets the subject details and SANs from policy.
#pragma once

#include "ca/ca_error.hpp"
#include "ca/openssl_handles.hpp"

#include <string>
#include <string_view>

namespace jit::broker {

// PEM "CERTIFICATE REQUEST". invalid_argument for a common name that is empty, over 64 bytes or
// holds control characters; unsupported_key for a key other than EC P-256/P-384; crypto_failure
// when OpenSSL fails.
[[nodiscard]] Result<std::string> make_client_csr_pem(EVP_PKEY* key, std::string_view common_name);

}  // namespace jit::broker
