// The broker's CA keys, loaded as the config says: from files (PKCS#8 PEM, optionally encrypted
// with a passphrase from an environment variable or a file, or unencrypted OpenSSH keys), or in dev
// mode generated at first start, mode 0600 (docs/architecture.md invariant 9: never logged/served).
#pragma once

#include "ca/bytes.hpp"
#include "ca/pkcs11_signer.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_hierarchy.hpp"
#include "config/broker_config.hpp"

#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace jit::broker {

// ca.x509_key_type ("ecdsa-p256", "ed25519", "rsa-3072") as a key algorithm.
ca::KeyAlgorithm x509_key_algorithm(const std::string& name);

// The CA keys' passphrase, wiped when it goes out of scope: on every way out of a command or a
// load, an exception included.
class CaPassphrase {
 public:
  CaPassphrase() = default;
  explicit CaPassphrase(std::string value) : value_(std::move(value)) {}
  CaPassphrase(CaPassphrase&& other) noexcept : value_(std::move(other.value_)) {
    other.value_.reset();
  }
  CaPassphrase& operator=(CaPassphrase&& other) noexcept {
    if (this != &other) {
      wipe();
      value_ = std::move(other.value_);
      other.value_.reset();
    }
    return *this;
  }
  CaPassphrase(const CaPassphrase&) = delete;
  CaPassphrase& operator=(const CaPassphrase&) = delete;
  ~CaPassphrase() { wipe(); }

  // What the key loaders take: nullopt when no passphrase is configured.
  std::optional<std::string_view> view() const {
    return value_ ? std::optional<std::string_view>(*value_) : std::nullopt;
  }

 private:
  void wipe() noexcept {
    if (value_) ca::wipe(*value_);
  }
  std::optional<std::string> value_;
};

// The CA key passphrase, if the config names a source. Throws std::runtime_error naming the
// variable or file when it is configured but absent or empty.
CaPassphrase ca_key_passphrase(const config::CaSettings& settings);

// The ca.pkcs11 settings with the PIN read from its variable or file (mode 0600 or stricter).
// Throws std::runtime_error naming the setting when pkcs11 is not configured or the PIN is absent.
ca::Pkcs11Settings pkcs11_settings(const config::CaSettings& settings);

// A CA key on a token (`location` is a pkcs11: URI). Throws a one-line std::runtime_error naming
// the URI (ca::Pkcs11Error) when the module, token, PIN or key is not usable.
std::shared_ptr<ca::Pkcs11Signer> open_pkcs11_key(const config::CaSettings& settings,
                                                  const std::filesystem::path& location);

// Key files that exist must not be readable by group or others (mode 0600 or stricter), like the
// data key; otherwise std::runtime_error "CA key FILE is readable by others; chmod 600 it".

// All configured SSH CA keys; `ssh_key_files` lists them newest first and the newest signs.
// Entries that are pkcs11: URIs sign on the token (never generated here: `ca init --pkcs11`).
// With `generate_missing`, a missing newest key is generated; a missing older key is an error.
// Throws std::runtime_error with one line naming the file on any problem.
ca::SshCertificateAuthority load_ssh_ca(const config::CaSettings& settings);

// One X.509 issuing CA's files: its certificate and its key (a file or a pkcs11: URI).
struct X509IssuerFiles {
  std::filesystem::path certificate;
  std::filesystem::path key;
  friend bool operator==(const X509IssuerFiles&, const X509IssuerFiles&) = default;
};

// The X.509 root and issuing CA. With `generate_missing` and none of the four files present, a dev
// hierarchy is created and saved (keys 0600); otherwise the files are loaded and cross-checked.
// `previous`: the issuing CAs from before a rotation, newest first (DATA_DIR/ca/x509_issuers.list,
// broker/service/ca_key_list.hpp), loaded beside it; each must be certified by the same root.
// Throws std::runtime_error with one line on any problem.
ca::X509CaHierarchy load_x509_ca(const config::CaSettings& settings,
                                 std::span<const X509IssuerFiles> previous = {});

}  // namespace jit::broker
