// A CA key that signs outside this process's memory (a PKCS#11 token, docs/architecture.md "CA
// signers"). The SSH CA (SshCaKey) and the X.509 CAs (X509CertificateAuthority) sign either with an
// in-memory OpenSSL key, the fast path they always had, or through this interface; they produce
// the same bytes either way, because a KeySigner answers exactly what EVP_DigestSign would.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"

#include <openssl/evp.h>

#include <string>

namespace jit::ca {

class KeySigner {
 public:
  virtual ~KeySigner() = default;

  // The public half, read from where the key lives. Owned by the signer.
  [[nodiscard]] virtual const EVP_PKEY* public_key() const noexcept = 0;
  // What EVP_DigestSign with digest_name ("SHA256", "SHA384", "SHA512"; null for Ed25519) over
  // message would return: 64 raw bytes for Ed25519, a DER ECDSA-Sig-Value for ECDSA, PKCS#1 v1.5
  // for RSA. CaErrc::signer_unavailable when the key's device cannot be reached (retrying later
  // may work); crypto_failure for anything else. Safe from several threads at once.
  [[nodiscard]] virtual Result<Bytes> sign(const char* digest_name, ByteView message) const = 0;
  // Signs a probe message now: the readiness check (GET /readyz). Empty when fine, else one line.
  [[nodiscard]] virtual std::string check() const = 0;
  // Where the key is, for messages and logs: never a secret (a PKCS#11 URI without its PIN).
  [[nodiscard]] virtual const std::string& location() const noexcept = 0;
};

}  // namespace jit::ca
