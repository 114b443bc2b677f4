#include "ca/x509_hierarchy.hpp"

#include "ca/atomic_file.hpp"
#include "ca/x509_client_certificate.hpp"
#include "ca/x509_der.hpp"
#include "ca/x509_digest.hpp"
#include "ca/x509_pem.hpp"
#include "ca/x509_serial.hpp"

#include <algorithm>
#include <ctime>

namespace jit::ca {
namespace {

using std::chrono::system_clock;

constexpr std::size_t kMaxCertificateFileBytes = 64 * 1024;

const EVP_MD* digest_for(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::ed25519:
      return nullptr;  // EdDSA hashes internally
    case KeyAlgorithm::ecdsa_p384:
      return fetched_digest(DigestKind::sha384);
    case KeyAlgorithm::ecdsa_p521:
      return fetched_digest(DigestKind::sha512);
    case KeyAlgorithm::ecdsa_p256:
    case KeyAlgorithm::rsa:
      return fetched_digest(DigestKind::sha256);
  }
  return nullptr;
}

Result<void> add_extension(X509* certificate, X509V3_CTX* context, int nid, const char* value) {
  X509ExtensionPtr extension(X509V3_EXT_nconf_nid(nullptr, context, nid, value));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1)
    return CaErrc::crypto_failure;
  return {};
}

Result<X509NamePtr> ca_name(std::string_view organization, std::string_view common_name) {
  X509NamePtr name(X509_NAME_new());
  if (!name) return CaErrc::crypto_failure;
  const auto add = [&](const char* field, std::string_view value) {
    return X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (!organization.empty() && !add("O", organization)) return CaErrc::crypto_failure;
  if (!add("CN", common_name)) return CaErrc::crypto_failure;
  return name;
}

struct CaCertificateSpec {
  const X509_NAME* subject;
  const EVP_PKEY* subject_key;
  X509* issuer_certificate;  // null: self-signed
  EVP_PKEY* issuer_key;
  KeyAlgorithm issuer_algorithm;
  system_clock::time_point not_before;
  system_clock::time_point not_after;
  const char* basic_constraints;
};

// Built with OpenSSL's own X509 API (not our DER writer): CA certificates are made once, and this
// keeps an independent encoder in the loop that the tests can compare against.
Result<X509Ptr> make_ca_certificate(const CaCertificateSpec& spec) {
  auto serial = random_serial();
  if (!serial) return serial.error();
  clear_openssl_errors();
  X509Ptr certificate(X509_new());
  BignumPtr serial_number(
      BN_bin2bn(as_uchars(serial->bytes()), static_cast<int>(serial->bytes().size()), nullptr));
  if (!certificate || !serial_number || X509_set_version(certificate.get(), X509_VERSION_3) != 1 ||
      BN_to_ASN1_INTEGER(serial_number.get(), X509_get_serialNumber(certificate.get())) ==
          nullptr) {
    return CaErrc::crypto_failure;
  }
  X509* x = certificate.get();
  const X509_NAME* issuer_name = spec.issuer_certificate != nullptr
                                     ? X509_get_subject_name(spec.issuer_certificate)
                                     : spec.subject;
  if (X509_set_subject_name(x, spec.subject) != 1 || X509_set_issuer_name(x, issuer_name) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(x), system_clock::to_time_t(spec.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x), system_clock::to_time_t(spec.not_after)) == nullptr ||
      X509_set_pubkey(x, const_cast<EVP_PKEY*>(spec.subject_key)) != 1) {  // only up-refs the key
    return CaErrc::crypto_failure;
  }
  X509V3_CTX context;
  X509V3_set_ctx(&context, spec.issuer_certificate != nullptr ? spec.issuer_certificate : x, x,
                 nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, spec.basic_constraints},
                            std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                            std::pair{NID_subject_key_identifier, "hash"}}) {
    if (auto added = add_extension(x, &context, nid, value); !added) return added.error();
  }
  if (spec.issuer_certificate != nullptr) {
    if (auto added = add_extension(x, &context, NID_authority_key_identifier, "keyid:always");
        !added) {
      return added.error();
    }
  }
  if (X509_sign(x, spec.issuer_key, digest_for(spec.issuer_algorithm)) <= 0)
    return CaErrc::crypto_failure;
  return certificate;
}

Result<X509Ptr> load_certificate(const std::filesystem::path& path) {
  auto content = read_file(path, kMaxCertificateFileBytes);
  if (!content) return content.error();
  auto der = decode_single_pem(as_chars(*content), {"CERTIFICATE"});
  if (!der) return der.error();
  clear_openssl_errors();
  const unsigned char* cursor = as_uchars(ByteView(*der));
  X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(der->size())));
  if (!certificate || cursor != as_uchars(ByteView(*der)) + der->size()) {
    clear_openssl_errors();
    return CaErrc::malformed;
  }
  return certificate;
}

Result<std::string> certificate_pem(const X509* certificate) {
  clear_openssl_errors();
  const int length = i2d_X509(certificate, nullptr);
  if (length <= 0) return CaErrc::crypto_failure;
  Bytes der(static_cast<std::size_t>(length));
  auto* cursor = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(certificate, &cursor) != length) return CaErrc::crypto_failure;
  return encode_pem("CERTIFICATE", der);
}

bool valid_at(const X509* certificate, system_clock::time_point now) {
  system_clock::time_point not_before;
  system_clock::time_point not_after;
  return asn1_time_to_time_point(X509_get0_notBefore(certificate), not_before) &&
         asn1_time_to_time_point(X509_get0_notAfter(certificate), not_after) && not_before <= now &&
         now <= not_after;
}

// `issuer` certified `subject`: names and key identifiers match and the signature verifies.
bool issued_by(X509* subject, X509* issuer) {
  clear_openssl_errors();
  const bool ok = X509_check_issued(issuer, subject) == X509_V_OK &&
                  X509_verify(subject, X509_get0_pubkey(issuer)) == 1;
  clear_openssl_errors();
  return ok;
}

}  // namespace

X509CaHierarchy::X509CaHierarchy(X509Ptr root_certificate, std::string root_pem,
                                 std::optional<X509CertificateAuthority> root,
                                 X509CertificateAuthority issuing)
    : root_certificate_(std::move(root_certificate)),
      root_(std::move(root)),
      issuing_(std::move(issuing)),
      root_pem_(std::move(root_pem)),
      chain_pem_(issuing_.certificate_pem() + root_pem_) {}

Result<X509CaHierarchy> create_dev_hierarchy(KeyAlgorithm algorithm,
                                             const X509HierarchyNames& names,
                                             const X509HierarchyValidity& validity,
                                             system_clock::time_point now) {
  if (!valid_name_text(names.root_common_name, kMaxNameCharacters) ||
      !valid_name_text(names.issuing_common_name, kMaxNameCharacters) ||
      (!names.organization.empty() && !valid_name_text(names.organization, kMaxNameCharacters)) ||
      names.root_common_name == names.issuing_common_name || validity.issuing > validity.root ||
      validity.issuing <= std::chrono::seconds{0} || validity.backdate < std::chrono::seconds{0}) {
    return CaErrc::invalid_argument;
  }
  const system_clock::time_point start =
      std::chrono::floor<std::chrono::seconds>(now - validity.backdate);
  if (!der_time_encodable(start) || !der_time_encodable(start + validity.root)) {
    return CaErrc::invalid_argument;
  }
  auto root_key = generate_private_key(algorithm);
  auto issuing_key = generate_private_key(algorithm);
  if (!root_key) return root_key.error();
  if (!issuing_key) return issuing_key.error();
  auto root_name = ca_name(names.organization, names.root_common_name);
  auto issuing_name = ca_name(names.organization, names.issuing_common_name);
  if (!root_name) return root_name.error();
  if (!issuing_name) return issuing_name.error();

  auto root_certificate =
      make_ca_certificate({root_name->get(), root_key->get(), nullptr, root_key->get(), algorithm,
                           start, start + validity.root, "critical,CA:TRUE"});
  if (!root_certificate) return root_certificate.error();
  auto issuing_certificate = make_ca_certificate(
      {issuing_name->get(), issuing_key->get(), root_certificate->get(), root_key->get(), algorithm,
       start, start + validity.issuing, "critical,CA:TRUE,pathlen:0"});
  if (!issuing_certificate) return issuing_certificate.error();

  X509Ptr root_copy(X509_dup(root_certificate->get()));
  if (!root_copy) return CaErrc::crypto_failure;
  auto root_pem = certificate_pem(root_copy.get());
  if (!root_pem) return root_pem.error();
  auto root = X509CertificateAuthority::create(std::move(*root_key), std::move(*root_certificate));
  if (!root) return root.error();
  auto issuing =
      X509CertificateAuthority::create(std::move(*issuing_key), std::move(*issuing_certificate));
  if (!issuing) return issuing.error();
  return X509CaHierarchy(std::move(root_copy), std::move(*root_pem), std::move(*root),
                         std::move(*issuing));
}

Result<X509CaHierarchy> load_hierarchy(const X509HierarchyFiles& files,
                                       std::optional<std::string_view> passphrase,
                                       system_clock::time_point now,
                                       std::shared_ptr<const KeySigner> issuing_signer) {
  auto root_certificate = load_certificate(files.root_certificate);
  if (!root_certificate) return root_certificate.error();
  auto issuing_certificate = load_certificate(files.issuing_certificate);
  if (!issuing_certificate) return issuing_certificate.error();
  Result<EvpPkeyPtr> issuing_key = EvpPkeyPtr();
  if (!issuing_signer) issuing_key = load_private_key_file(files.issuing_key, passphrase);
  if (!issuing_key) return issuing_key.error();

  X509* root_x509 = root_certificate->get();
  if ((X509_get_extension_flags(root_x509) & EXFLAG_CA) == 0 || !issued_by(root_x509, root_x509) ||
      !issued_by(issuing_certificate->get(), root_x509) || !valid_at(root_x509, now) ||
      !valid_at(issuing_certificate->get(), now)) {
    return CaErrc::invalid_argument;
  }

  auto root_pem = certificate_pem(root_x509);
  if (!root_pem) return root_pem.error();
  std::optional<X509CertificateAuthority> root;
  if (!files.root_key.empty()) {
    auto root_key = load_private_key_file(files.root_key, passphrase);
    if (!root_key) return root_key.error();
    X509Ptr root_copy(X509_dup(root_x509));
    if (!root_copy) return CaErrc::crypto_failure;
    auto authority = X509CertificateAuthority::create(std::move(*root_key), std::move(root_copy));
    if (!authority) return authority.error();
    root.emplace(std::move(*authority));
  }
  auto issuing = issuing_signer ? X509CertificateAuthority::create(std::move(issuing_signer),
                                                                   std::move(*issuing_certificate))
                                : X509CertificateAuthority::create(std::move(*issuing_key),
                                                                   std::move(*issuing_certificate));
  if (!issuing) return issuing.error();
  return X509CaHierarchy(std::move(*root_certificate), std::move(*root_pem), std::move(root),
                         std::move(*issuing));
}

Result<void> X509CaHierarchy::add_previous_issuing(X509CertificateAuthority issuing) {
  X509* certificate = const_cast<X509*>(issuing.certificate());  // issued_by only reads it
  if (!issued_by(certificate, root_certificate_.get())) return CaErrc::invalid_argument;
  previous_issuing_.push_back(std::move(issuing));
  chain_pem_ = issuing_.certificate_pem();
  for (const auto& previous : previous_issuing_) chain_pem_ += previous.certificate_pem();
  chain_pem_ += root_pem_;
  return {};
}

Result<X509CertificateAuthority> load_issuing_ca(const std::filesystem::path& certificate_file,
                                                 const std::filesystem::path& key_file,
                                                 std::optional<std::string_view> passphrase,
                                                 std::shared_ptr<const KeySigner> signer) {
  auto certificate = load_certificate(certificate_file);
  if (!certificate) return certificate.error();
  if (signer) return X509CertificateAuthority::create(std::move(signer), std::move(*certificate));
  auto key = load_private_key_file(key_file, passphrase);
  if (!key) return key.error();
  return X509CertificateAuthority::create(std::move(*key), std::move(*certificate));
}

Result<X509CertificateAuthority> create_root_ca(KeyAlgorithm algorithm,
                                                const X509HierarchyNames& names,
                                                const X509HierarchyValidity& validity,
                                                system_clock::time_point now) {
  if (!valid_name_text(names.root_common_name, kMaxNameCharacters) ||
      (!names.organization.empty() && !valid_name_text(names.organization, kMaxNameCharacters))) {
    return CaErrc::invalid_argument;
  }
  const auto start = std::chrono::floor<std::chrono::seconds>(now - validity.backdate);
  auto key = generate_private_key(algorithm);
  if (!key) return key.error();
  auto name = ca_name(names.organization, names.root_common_name);
  if (!name) return name.error();
  auto certificate = make_ca_certificate({name->get(), key->get(), nullptr, key->get(), algorithm,
                                          start, start + validity.root, "critical,CA:TRUE"});
  if (!certificate) return certificate.error();
  return X509CertificateAuthority::create(std::move(*key), std::move(*certificate));
}

Result<X509CertificateAuthority> load_root_ca(const std::filesystem::path& certificate_file,
                                              EvpPkeyPtr key) {
  auto certificate = load_certificate(certificate_file);
  if (!certificate) return certificate.error();
  if (!issued_by(certificate->get(), certificate->get())) return CaErrc::invalid_argument;
  return X509CertificateAuthority::create(std::move(key), std::move(*certificate));
}

Result<std::string> certify_issuing_key(const X509CertificateAuthority& root,
                                        const EVP_PKEY* issuing_key,
                                        const X509HierarchyNames& names,
                                        const X509HierarchyValidity& validity,
                                        system_clock::time_point now) {
  if (root.signing_key() == nullptr || issuing_key == nullptr ||
      !valid_name_text(names.issuing_common_name, kMaxNameCharacters)) {
    return CaErrc::invalid_argument;
  }
  const system_clock::time_point start =
      std::chrono::floor<std::chrono::seconds>(now - validity.backdate);
  // Never past the root's own end: a relying party would refuse the chain then.
  const system_clock::time_point end =
      std::min<system_clock::time_point>(start + validity.issuing, root.not_after());
  auto name = ca_name(names.organization, names.issuing_common_name);
  if (!name) return name.error();
  auto certificate = make_ca_certificate(
      {name->get(), issuing_key, const_cast<X509*>(root.certificate()), root.signing_key(),
       root.key_algorithm(), start, end, "critical,CA:TRUE,pathlen:0"});
  if (!certificate) return certificate.error();
  return certificate_pem(certificate->get());
}

Result<void> X509CaHierarchy::save(const X509HierarchyFiles& files,
                                   std::optional<std::string_view> passphrase) const {
  if (!files.root_key.empty() && !root_) return CaErrc::invalid_argument;
  if (auto written = write_file_atomically(files.root_certificate, as_bytes(root_pem_), 0644);
      !written) {
    return written;
  }
  if (auto written = write_file_atomically(files.issuing_certificate,
                                           as_bytes(issuing_.certificate_pem()), 0644);
      !written) {
    return written;
  }
  if (auto written = save_private_key_file(files.issuing_key, issuing_.signing_key(), passphrase);
      !written) {
    return written;
  }
  if (!files.root_key.empty())
    return save_private_key_file(files.root_key, root_->signing_key(), passphrase);
  return {};
}

}  // namespace jit::ca
