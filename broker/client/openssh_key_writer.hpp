// An Ed25519 private key in OpenSSH's own file format ("openssh-key-v1", unencrypted), which
// `ssh -i`, `ssh-add` and `ssh-keygen -y` read (docs/protocols.md section 1; the reader is
// ca/openssh_private_key.hpp). `jit ssh-cert` writes the key it makes locally in this format.
#pragma once

#include "ca/ca_error.hpp"
#include "ca/openssl_handles.hpp"

#include <string>
#include <string_view>

namespace jit::broker {

// The PEM-armoured file text. unsupported_key for anything but an Ed25519 private key,
// invalid_argument for a comment with control characters or over 1024 bytes, crypto_failure when
// OpenSSL fails. The text holds the private key: wipe it once written.
[[nodiscard]] Result<std::string> openssh_ed25519_private_key_text(const EVP_PKEY* key,
                                                                   std::string_view comment);

}  // namespace jit::broker
