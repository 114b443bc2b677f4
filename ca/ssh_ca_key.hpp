// One SSH certificate authority key: the private key (Ed25519 by default; ECDSA P-256/384/521 or
// RSA of at least 3072 bits signing with rsa-sha2-512) and its public half as published to sshd.
// Loaded from PEM/PKCS#8 (optionally encrypted) or from an unencrypted OpenSSH private key file.
// Immutable; sign() may be called from several threads at once.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"
#include "ca/key_signer.hpp"
#include "ca/openssl_handles.hpp"
#include "ca/private_key.hpp"
#include "ca/ssh_public_key.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace jit::ca {

class SshCaKey {
 public:
  // Signs and verifies a probe message once: key_unavailable for a key that cannot sign (a public
  // key only), unsupported_key for types we do not support.
  [[nodiscard]] static Result<SshCaKey> from_private_key(EvpPkeyPtr key);
  // A key that signs elsewhere (a PKCS#11 token): its public key and a probe signature are checked
  // the same way.
  [[nodiscard]] static Result<SshCaKey> from_signer(std::shared_ptr<const KeySigner> signer);
  [[nodiscard]] static Result<SshCaKey> generate(KeyAlgorithm algorithm = KeyAlgorithm::ed25519);
  // PEM ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY", traditional EC/RSA) or "OPENSSH PRIVATE KEY" text.
  // Errors: key_unavailable (wrong or missing passphrase), OpensshKeyErrc::encrypted_key,
  // malformed, unsupported_key.
  [[nodiscard]] static Result<SshCaKey> parse(std::string_view text,
                                              std::optional<std::string_view> passphrase);
  [[nodiscard]] static Result<SshCaKey> load_file(const std::filesystem::path& path,
                                                  std::optional<std::string_view> passphrase);
  // Development mode: loads the file, or when it does not exist generates a key and saves it as
  // PKCS#8 with mode 0600 (encrypted when a passphrase is given).
  [[nodiscard]] static Result<SshCaKey> load_or_generate_file(
      const std::filesystem::path& path, std::optional<std::string_view> passphrase,
      KeyAlgorithm algorithm = KeyAlgorithm::ed25519);

  SshCaKey(SshCaKey&&) noexcept = default;
  SshCaKey& operator=(SshCaKey&&) noexcept = default;

  [[nodiscard]] const SshPublicKey& public_key() const noexcept { return public_key_; }
  // "ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", ...
  [[nodiscard]] std::string_view signature_algorithm() const noexcept;
  // An SSH signature blob over message.
  [[nodiscard]] Result<Bytes> sign(ByteView message) const;
  // For saving the key; never log or serve it. Null for a key on a token.
  [[nodiscard]] const EVP_PKEY* private_key() const noexcept {
    return signer_ ? nullptr : key_.get();
  }
  // The token signer, or null for a key in memory.
  [[nodiscard]] const KeySigner* signer() const noexcept { return signer_.get(); }

 private:
  SshCaKey(EvpPkeyPtr key, SshPublicKey public_key)
      : key_(std::move(key)), public_key_(std::move(public_key)) {}

  EvpPkeyPtr key_;  // the private key in memory, unless signer_ signs
  std::shared_ptr<const KeySigner> signer_;
  SshPublicKey public_key_;
};

}  // namespace jit::ca
