// SSH signature blobs (docs/protocols.md sections 1 and 2.5): `string algorithm, string signature`,
// where an ECDSA signature is itself `mpint r, mpint s`. Signing uses a fresh OpenSSL context per
// call, so one EVP_PKEY can sign from many threads at once.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"
#include "ca/openssl_handles.hpp"
#include "ca/ssh_public_key.hpp"

#include <string_view>

namespace jit::ca {

// The algorithm a key of this type signs with: "ssh-ed25519", "ecdsa-sha2-nistp256", ... and
// "rsa-sha2-512" for RSA (never SHA-1 "ssh-rsa").
[[nodiscard]] std::string_view ssh_signature_algorithm(SshKeyType type) noexcept;

// Signs message with a private key of the given type and returns the SSH signature blob.
[[nodiscard]] Result<Bytes> ssh_sign(EVP_PKEY* key, SshKeyType type, ByteView message);

// The digest a key of this type signs with ("SHA256", "SHA384", "SHA512"), null for Ed25519.
[[nodiscard]] const char* ssh_signature_digest(SshKeyType type) noexcept;
// The SSH signature blob of a signature as EVP_DigestSign returns it (ECDSA: DER).
[[nodiscard]] Result<Bytes> ssh_signature_blob(SshKeyType type, ByteView raw);

// Checks a signature blob over message with key. malformed: the blob's structure is wrong (trailing
// bytes, an Ed25519 signature that is not 64 bytes, a non-canonical mpint, an algorithm name that
// does not belong to the key type, or SHA-1 "ssh-rsa"); bad_signature: it is well formed but does
// not verify.
[[nodiscard]] Result<void> ssh_verify(const SshPublicKey& key, ByteView message,
                                      ByteView signature_blob);

// Appends the SSH encoding of a DER ECDSA signature (`string { mpint r, mpint s }`) to out; exposed
// for the mpint edge-case tests.
[[nodiscard]] Result<void> append_ecdsa_signature_from_der(ByteView der, ByteWriter& out);

}  // namespace jit::ca
