// The X.509 CA hierarchy: an offline-style root that only certifies the issuing CA (and signs its
// own, rarely changing CRL), and the issuing CA that signs client certificates, CRLs and OCSP
// responses. Dev mode creates both; production loads them from PEM files, where the root key may be
// absent (kept offline).
#pragma once

#include "ca/ca_error.hpp"
#include "ca/key_signer.hpp"
#include "ca/private_key.hpp"
#include "ca/x509_certificate_authority.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::ca {

struct X509HierarchyNames {
  std::string root_common_name = "jitbroker root CA";
  std::string issuing_common_name = "jitbroker issuing CA";
  std::string organization = "jitbroker";  // O= in both subjects; empty for none
};

struct X509HierarchyValidity {
  std::chrono::seconds root = std::chrono::hours(24 * 365 * 10);
  std::chrono::seconds issuing = std::chrono::hours(24 * 365 * 2);
  // notBefore of both certificates lies this far before `now`, for relying parties whose clocks
  // lag.
  std::chrono::seconds backdate = std::chrono::hours(1);
};

struct X509HierarchyFiles {
  std::filesystem::path root_certificate;
  std::filesystem::path root_key;  // empty: the root key stays offline
  std::filesystem::path issuing_certificate;
  std::filesystem::path issuing_key;
};

class X509CaHierarchy {
 public:
  X509CaHierarchy(X509CaHierarchy&&) noexcept = default;
  X509CaHierarchy& operator=(X509CaHierarchy&&) noexcept = default;

  [[nodiscard]] const X509CertificateAuthority& issuing() const noexcept { return issuing_; }
  // The root as a signer (for its CRL); null when it was loaded without its key.
  [[nodiscard]] const X509CertificateAuthority* root() const noexcept {
    return root_ ? &*root_ : nullptr;
  }
  [[nodiscard]] const X509* root_certificate() const noexcept { return root_certificate_.get(); }
  [[nodiscard]] const std::string& root_pem() const noexcept { return root_pem_; }
  // Issuing CA, the previous issuing CAs, then root, PEM: GET /v1/ca/x509 serves this; TLS servers
  // use it as their client CA list (nginx ssl_client_certificate).
  [[nodiscard]] const std::string& chain_pem() const noexcept { return chain_pem_; }

  // Issuing CAs from before a rotation, newest first (docs/operations.md "CA rotation"): they sign
  // no new certificate, only the CRLs and OCSP answers for the certificates they issued, until
  // `jit-broker ca retire x509` drops them.
  [[nodiscard]] const std::vector<X509CertificateAuthority>& previous_issuing() const noexcept {
    return previous_issuing_;
  }
  // Appends one (older than those added before). invalid_argument unless its certificate is a CA
  // certified by this root. chain_pem() then lists it after the issuing CA, before the root.
  [[nodiscard]] Result<void> add_previous_issuing(X509CertificateAuthority issuing);

  // Certificates 0644, keys 0600 (PKCS#8, encrypted when a passphrase is given), each written
  // atomically. An empty files.root_key leaves the root key out (to be kept offline);
  // invalid_argument when files.root_key is set but the root key is not loaded.
  [[nodiscard]] Result<void> save(const X509HierarchyFiles& files,
                                  std::optional<std::string_view> passphrase) const;

 private:
  friend Result<X509CaHierarchy> create_dev_hierarchy(KeyAlgorithm, const X509HierarchyNames&,
                                                      const X509HierarchyValidity&,
                                                      std::chrono::system_clock::time_point);
  friend Result<X509CaHierarchy> load_hierarchy(const X509HierarchyFiles&,
                                                std::optional<std::string_view>,
                                                std::chrono::system_clock::time_point,
                                                std::shared_ptr<const KeySigner>);
  X509CaHierarchy(X509Ptr root_certificate, std::string root_pem,
                  std::optional<X509CertificateAuthority> root, X509CertificateAuthority issuing);

  X509Ptr root_certificate_;
  std::optional<X509CertificateAuthority> root_;
  X509CertificateAuthority issuing_;
  std::vector<X509CertificateAuthority> previous_issuing_;
  std::string root_pem_;
  std::string chain_pem_;
};

// New keys (RSA: 3072 bits) and certificates: root with basicConstraints critical CA:TRUE, keyUsage
// critical keyCertSign+cRLSign, SKI; issuing CA the same plus pathlen:0 and an AKI.
// invalid_argument for names that are empty or over 64 characters, or an issuing validity longer
// than the root's.
[[nodiscard]] Result<X509CaHierarchy> create_dev_hierarchy(
    KeyAlgorithm algorithm, const X509HierarchyNames& names, const X509HierarchyValidity& validity,
    std::chrono::system_clock::time_point now);

// Loads and cross-checks the files. Errors:
//   key_unavailable   a file is missing or unreadable, or a key's passphrase is wrong or missing
//   malformed         a certificate file is not exactly one PEM CERTIFICATE, or a key file no key
//   unsupported_key   a CA key type we do not sign with
//   invalid_argument  a key does not match its certificate; the root is not self-signed or not a
//   CA;
//                     the issuing certificate is not a CA or not signed by the root; a certificate
//                     is not valid at `now`
// With `issuing_signer` (a key on a PKCS#11 token) files.issuing_key is not read: the issuing CA
// signs through it, and its public key must be the issuing certificate's.
[[nodiscard]] Result<X509CaHierarchy> load_hierarchy(
    const X509HierarchyFiles& files, std::optional<std::string_view> passphrase,
    std::chrono::system_clock::time_point now,
    std::shared_ptr<const KeySigner> issuing_signer = nullptr);

// An issuing CA from its certificate file and its key file, or `signer` (a key on a PKCS#11 token;
// key_file is not read then), for X509CaHierarchy::add_previous_issuing. Errors as load_hierarchy's
// (the root checks are add_previous_issuing's).
[[nodiscard]] Result<X509CertificateAuthority> load_issuing_ca(
    const std::filesystem::path& certificate_file, const std::filesystem::path& key_file,
    std::optional<std::string_view> passphrase, std::shared_ptr<const KeySigner> signer = nullptr);

// `jit-broker ca init --pkcs11` for X.509 (docs/operations.md "CA keys in an HSM (PKCS#11)").
// A new root CA with its key in memory (saved as a file by the caller), as create_dev_hierarchy
// makes it.
[[nodiscard]] Result<X509CertificateAuthority> create_root_ca(
    KeyAlgorithm algorithm, const X509HierarchyNames& names, const X509HierarchyValidity& validity,
    std::chrono::system_clock::time_point now);
// A root CA from its certificate file and its private key (errors as load_hierarchy's).
[[nodiscard]] Result<X509CertificateAuthority> load_root_ca(
    const std::filesystem::path& certificate_file, EvpPkeyPtr key);
// An issuing CA certificate (PEM) for `issuing_key` (a public key read from a token), signed by
// `root`, whose private key must be loaded (invalid_argument otherwise).
[[nodiscard]] Result<std::string> certify_issuing_key(const X509CertificateAuthority& root,
                                                      const EVP_PKEY* issuing_key,
                                                      const X509HierarchyNames& names,
                                                      const X509HierarchyValidity& validity,
                                                      std::chrono::system_clock::time_point now);

}  // namespace jit::ca
