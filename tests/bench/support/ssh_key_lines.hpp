// Public keys for the mint load of the HTTPS benchmarks: each call sends one of a few keys.
#pragma once

#include <string>

namespace jit::bench {

// The authorized_keys line of a new Ed25519 key. Throws std::runtime_error when OpenSSL fails.
std::string new_ssh_public_key_line();

}  // namespace jit::bench
