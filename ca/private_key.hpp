// CA private keys: generation, PEM/PKCS#8 loading (optionally encrypted) and saving with mode 0600.
// OpenSSH's own private key format is handled next to the SSH certificate code.
#pragma once

#include "ca/ca_error.hpp"
#include "ca/openssl_handles.hpp"

#include <filesystem>
#include <optional>
#include <string_view>

namespace jit::ca {

enum class KeyAlgorithm { ed25519, ecdsa_p256, ecdsa_p384, ecdsa_p521, rsa };

[[nodiscard]] Result<EvpPkeyPtr> generate_private_key(KeyAlgorithm algorithm, int rsa_bits = 3072);

// What kind of key this is; unsupported_key for anything else (DSA, other curves).
[[nodiscard]] Result<KeyAlgorithm> key_algorithm_of(const EVP_PKEY* key);

// PEM text: PKCS#8 ("PRIVATE KEY" or "ENCRYPTED PRIVATE KEY") or a traditional EC/RSA key. A
// passphrase is used only for encrypted keys; a wrong one gives key_unavailable.
[[nodiscard]] Result<EvpPkeyPtr> parse_private_key_pem(std::string_view pem,
                                                       std::optional<std::string_view> passphrase);
[[nodiscard]] Result<EvpPkeyPtr> load_private_key_file(const std::filesystem::path& path,
                                                       std::optional<std::string_view> passphrase);

// PKCS#8 PEM, encrypted with AES-256-CBC (PBKDF2) when a passphrase is given.
[[nodiscard]] Result<std::string> private_key_to_pem(const EVP_PKEY* key,
                                                     std::optional<std::string_view> passphrase);
// Written atomically with mode 0600 (docs/architecture.md invariant 9).
[[nodiscard]] Result<void> save_private_key_file(const std::filesystem::path& path,
                                                 const EVP_PKEY* key,
                                                 std::optional<std::string_view> passphrase);

// SubjectPublicKeyInfo PEM of the public half.
[[nodiscard]] Result<std::string> public_key_to_pem(const EVP_PKEY* key);

}  // namespace jit::ca
