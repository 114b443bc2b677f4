// A CA key on a PKCS#11 token (docs/operations.md "CA keys in an HSM (PKCS#11)"). The private key
// never leaves the token: the public key is read from it, and every signature is one C_Sign in a
// pooled session (Ed25519: CKM_EDDSA; ECDSA P-256/P-384: CKM_ECDSA over a SHA-2 digest computed
// here, its raw r||s turned into DER; RSA: CKM_SHA256/384/512_RSA_PKCS).
#pragma once

#include "ca/key_signer.hpp"
#include "ca/openssl_handles.hpp"
#include "ca/pkcs11_session.hpp"
#include "ca/private_key.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace jit::ca {

struct Pkcs11Settings {
  std::filesystem::path module;  // the PKCS#11 module (.so) p11-kit loads
  std::string pin;               // the token's user PIN; wiped by the signer's pool when done
};

class Pkcs11Signer final : public KeySigner {
 public:
  // Loads the module, finds the one token and the one private key the URI names, logs in, reads
  // the public key and signs a probe once. Throws Pkcs11Error, one line naming the URI (never
  // the PIN): module not loadable, no/several tokens, PIN refused, no object, several private
  // keys, a public key only, an unsupported key type.
  [[nodiscard]] static std::shared_ptr<Pkcs11Signer> open(Pkcs11Settings settings,
                                                          std::string_view uri);

  [[nodiscard]] const EVP_PKEY* public_key() const noexcept override { return public_key_.get(); }
  [[nodiscard]] Result<Bytes> sign(const char* digest_name, ByteView message) const override;
  [[nodiscard]] std::string check() const override;
  [[nodiscard]] const std::string& location() const noexcept override { return uri_; }
  [[nodiscard]] KeyAlgorithm algorithm() const noexcept { return algorithm_; }

  // Drops the pooled sessions as if the token had gone: the next signature opens new ones.
  void forget_sessions() const noexcept { pool_->drop_idle(); }

  struct Parts;  // what open() finds; public for the helpers in the .cpp
  Pkcs11Signer(std::shared_ptr<Pkcs11SessionPool> pool, std::string uri,
               std::shared_ptr<const Pkcs11Uri> parsed, EvpPkeyPtr public_key,
               KeyAlgorithm algorithm, CK_OBJECT_HANDLE key);

 private:
  [[nodiscard]] CK_RV sign_once(CK_SESSION_HANDLE session, const char* digest_name,
                                ByteView message, Bytes& out) const;

  std::shared_ptr<Pkcs11SessionPool> pool_;
  std::string uri_;
  std::shared_ptr<const Pkcs11Uri> parsed_;
  EvpPkeyPtr public_key_;
  KeyAlgorithm algorithm_;
  // Found again after the token came back: a handle need not survive a reconnect.
  mutable std::atomic<CK_OBJECT_HANDLE> key_;
  // The module generation (Pkcs11Module::generation) key_ was found in.
  mutable std::atomic<std::uint64_t> key_generation_;
  mutable std::atomic<bool> stale_{false};
};

// `jit-broker ca init --pkcs11 URI`: generates a key pair inside the token (private key CKA_TOKEN,
// CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE; label from the URI's object=, a random CKA_ID
// unless the URI gives id=), then opens it. Throws Pkcs11Error when the URI has no object=, when
// an object with that label exists already, or when the token refuses.
[[nodiscard]] std::shared_ptr<Pkcs11Signer> generate_pkcs11_key(Pkcs11Settings settings,
                                                                std::string_view uri,
                                                                KeyAlgorithm algorithm);

}  // namespace jit::ca
