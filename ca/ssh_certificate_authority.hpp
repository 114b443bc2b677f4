// The SSH user CA: several CA keys are published (rotation), the newest one signs. Immutable after
// create(); every member function is const and safe to call from several threads at once (each
// signature uses its own OpenSSL context; nonces come from per-thread buffers filled by
// RAND_bytes).
#pragma once

#include "ca/ca_error.hpp"
#include "ca/ssh_ca_key.hpp"
#include "ca/ssh_certificate.hpp"
#include "ca/ssh_public_key.hpp"

#include <span>
#include <string>
#include <vector>

namespace jit::ca {

class SshCertificateAuthority {
 public:
  // keys from oldest to newest: the last one signs, all are trusted and published. invalid_argument
  // when empty or when a public key appears twice.
  [[nodiscard]] static Result<SshCertificateAuthority> create(std::vector<SshCaKey> keys);

  SshCertificateAuthority(SshCertificateAuthority&&) noexcept = default;
  SshCertificateAuthority& operator=(SshCertificateAuthority&&) noexcept = default;

  [[nodiscard]] const SshCaKey& signing_key() const noexcept { return keys_.back(); }
  [[nodiscard]] std::span<const SshCaKey> keys() const noexcept { return keys_; }
  // Content for sshd's TrustedUserCAKeys: a comment line, then one `.pub` line per key, newest
  // first.
  [[nodiscard]] std::string trusted_ca_keys_text() const;
  [[nodiscard]] bool is_trusted(const SshPublicKey& ca_key) const noexcept;

  // Validates the profile (invalid_argument), then signs a user certificate for subject with the
  // newest key. The result carries the blob and, through line(), the `-cert.pub` text.
  [[nodiscard]] Result<SshCertificate> issue_user_certificate(
      const SshPublicKey& subject, const SshCertificateProfile& profile) const;

 private:
  explicit SshCertificateAuthority(std::vector<SshCaKey> keys) : keys_(std::move(keys)) {}

  std::vector<SshCaKey> keys_;
};

}  // namespace jit::ca
