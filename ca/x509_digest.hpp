// Message digests fetched once per process. OpenSSL 3.0 looks an implicit EVP_sha256() up in its
// method store on every use; the X.509 hot paths (CSR verification, fingerprints, key identifiers)
// use these pre-fetched ones instead.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"

#include <openssl/evp.h>

namespace jit::ca {

enum class DigestKind { sha1, sha256, sha384, sha512 };

// Null only if the default provider lacks the digest (a broken installation).
[[nodiscard]] const EVP_MD* fetched_digest(DigestKind kind) noexcept;

[[nodiscard]] Result<Bytes> compute_digest(DigestKind kind, ByteView data);

}  // namespace jit::ca
