// OpenSSH's own private key file format ("openssh-key-v1", what `ssh-keygen -t ed25519` writes),
// read into an OpenSSL key so a CA key made with ssh-keygen can be used as is. Only unencrypted
// files are read: encrypted ones use bcrypt_pbkdf, which OpenSSL does not provide, and are refused
// with OpensshKeyErrc::encrypted_key (decrypt with `ssh-keygen -p -N '' -f FILE`, or use encrypted
// PKCS#8).
#pragma once

#include "ca/ca_error.hpp"
#include "ca/openssl_handles.hpp"

#include <boost/system/error_code.hpp>

#include <string_view>
#include <type_traits>

namespace jit::ca {

// A start-up error with its own clear message; everything else is a CaErrc (malformed for a file
// that does not parse, unsupported_key for DSA/short RSA/other curves).
enum class OpensshKeyErrc {
  encrypted_key = 1,  // "encrypted OpenSSH private keys are not supported (bcrypt_pbkdf) ..."
};

const boost::system::error_category& openssh_key_category() noexcept;

inline boost::system::error_code make_error_code(OpensshKeyErrc e) noexcept {
  return {static_cast<int>(e), openssh_key_category()};
}

// True when text starts (after blank space) with "-----BEGIN OPENSSH PRIVATE KEY-----".
[[nodiscard]] bool is_openssh_private_key(std::string_view text) noexcept;

// Parses the file text and checks that the private key matches the public key stored beside it.
[[nodiscard]] Result<EvpPkeyPtr> parse_openssh_private_key(std::string_view text);

}  // namespace jit::ca

template <>
struct boost::system::is_error_code_enum<jit::ca::OpensshKeyErrc> : std::true_type {};
