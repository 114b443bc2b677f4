#include "broker/admin/ca_init_command.hpp"

#include "broker/admin/ca_admin_store.hpp"
#include "broker/data_dir.hpp"
#include "broker/service/ca_keys.hpp"
#include "ca/atomic_file.hpp"
#include "ca/ssh_ca_key.hpp"
#include "ca/x509_digest.hpp"
#include "ca/x509_hierarchy.hpp"
#include "ca/x509_pem.hpp"

#include <cctype>
#include <chrono>
#include <ostream>
#include <stdexcept>

namespace jit::broker {
namespace {

ca::KeyAlgorithm init_algorithm(const std::string& kind, const std::string& name) {
  if (kind == "ssh" && name == "ed25519") return ca::KeyAlgorithm::ed25519;
  if (name == "ecdsa-p256") return ca::KeyAlgorithm::ecdsa_p256;
  if (kind == "x509" && name == "ed25519") return ca::KeyAlgorithm::ed25519;
  if (kind == "x509" && name == "rsa-3072") return ca::KeyAlgorithm::rsa;
  throw std::runtime_error("--key-type " + name + " is not a " + kind +
                           " CA key type (ssh: ed25519, ecdsa-p256; x509: ecdsa-p256, ed25519, "
                           "rsa-3072)");
}

// The object= label of the URI, for the default file name.
std::string object_label(const std::string& uri) {
  const auto start = uri.find("object=");
  if (start == std::string::npos) return "pkcs11";
  const auto end = uri.find_first_of(";?&", start);
  std::string label = uri.substr(start + 7, end == std::string::npos ? end : end - start - 7);
  for (char& c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  }
  return label;
}

int init_ssh(const config::BrokerConfig& config, const CaInitOptions& options, std::ostream& out) {
  const auto algorithm = init_algorithm("ssh", options.key_type.value_or("ed25519"));
  const auto file = options.public_key_file.value_or(
      config.data_dir / "ca" / ("ssh_ca_" + object_label(options.pkcs11_uri) + ".pub"));
  auto signer = ca::generate_pkcs11_key(pkcs11_settings(config.ca), options.pkcs11_uri, algorithm);
  auto key = ca::SshCaKey::from_signer(signer);
  if (!key) throw std::runtime_error("the new key does not sign: " + key.error().message());
  const std::string line = key->public_key().line() + "\n";
  audit_ca_key_change(
      config, {"ca.init", "ssh", key->public_key().fingerprint_sha256(), signer->location()});
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (auto written = ca::write_file_atomically(file, ca::as_bytes(line), 0644); !written) {
    throw std::runtime_error("cannot write " + file.string() + ": " + written.error().message());
  }
  out << "SSH CA key generated in the token: " << signer->location() << "\n"
      << "public key (" << key->public_key().fingerprint_sha256() << ") written to "
      << file.string() << ":\n"
      << line << "broker.yaml: put \"" << signer->location()
      << "\" first in ca.ssh_key_files (docs/operations.md \"CA rotation\")\n";
  return 0;
}

int init_x509(const config::BrokerConfig& config, const CaInitOptions& options, std::ostream& out) {
  const auto algorithm = init_algorithm("x509", options.key_type.value_or("ecdsa-p256"));
  const auto& settings = config.ca;
  std::error_code ec;
  if (std::filesystem::exists(settings.x509_issuing_cert_file, ec)) {
    throw std::runtime_error(settings.x509_issuing_cert_file.string() +
                             " exists; move it away first (docs/operations.md \"CA rotation\")");
  }
  if (ca::is_pkcs11_uri(settings.x509_root_key_file.string())) {
    throw std::runtime_error("ca.x509_root_key_file must be a file (the root stays offline)");
  }
  auto passphrase = ca_key_passphrase(settings);
  const std::optional<std::string_view> view = passphrase.view();
  const auto now = std::chrono::system_clock::now();
  const bool root_cert_exists = std::filesystem::exists(settings.x509_root_cert_file, ec);
  const bool root_key_exists = std::filesystem::exists(settings.x509_root_key_file, ec);
  std::optional<ca::X509CertificateAuthority> root;
  if (!root_cert_exists && !root_key_exists) {
    auto created = ca::create_root_ca(ca::KeyAlgorithm::ecdsa_p256, {}, {}, now);
    if (!created) throw std::runtime_error("cannot create a root CA: " + created.error().message());
    std::filesystem::create_directories(settings.x509_root_cert_file.parent_path(), ec);
    std::filesystem::create_directories(settings.x509_root_key_file.parent_path(), ec);
    if (auto saved =
            ca::save_private_key_file(settings.x509_root_key_file, created->signing_key(), view);
        !saved) {
      throw std::runtime_error("cannot write " + settings.x509_root_key_file.string());
    }
    if (auto saved = ca::write_file_atomically(settings.x509_root_cert_file,
                                               ca::as_bytes(created->certificate_pem()), 0644);
        !saved) {
      throw std::runtime_error("cannot write " + settings.x509_root_cert_file.string());
    }
    out << "new root CA written to " << settings.x509_root_cert_file.string() << " (key "
        << settings.x509_root_key_file.string() << ": keep it offline after this)\n";
    root.emplace(std::move(*created));
  } else {
    auto key = ca::load_private_key_file(settings.x509_root_key_file, view);
    if (!key) {
      throw std::runtime_error("the root CA (" + settings.x509_root_cert_file.string() + ", " +
                               settings.x509_root_key_file.string() +
                               ") must be here to certify the new issuing key");
    }
    auto loaded = ca::load_root_ca(settings.x509_root_cert_file, std::move(*key));
    if (!loaded) {
      throw std::runtime_error("cannot use the root CA " + settings.x509_root_cert_file.string() +
                               ": " + loaded.error().message());
    }
    root.emplace(std::move(*loaded));
  }
  auto signer = ca::generate_pkcs11_key(pkcs11_settings(settings), options.pkcs11_uri, algorithm);
  auto pem = ca::certify_issuing_key(*root, signer->public_key(), {}, {}, now);
  if (!pem) throw std::runtime_error("cannot certify the new key: " + pem.error().message());
  // certificates.ca_key of what it will sign: the SHA-256 of the certificate's DER.
  auto der = ca::decode_single_pem(*pem, {"CERTIFICATE"});
  if (!der) throw std::runtime_error("the new issuing CA certificate does not decode");
  auto digest = ca::compute_digest(ca::DigestKind::sha256, *der);
  if (!digest) throw std::runtime_error("cannot hash the new issuing CA certificate");
  audit_ca_key_change(config, {"ca.init", "x509", ca::hex_encode(*digest), signer->location()});
  std::filesystem::create_directories(settings.x509_issuing_cert_file.parent_path(), ec);
  if (auto written =
          ca::write_file_atomically(settings.x509_issuing_cert_file, ca::as_bytes(*pem), 0644);
      !written) {
    throw std::runtime_error("cannot write " + settings.x509_issuing_cert_file.string());
  }
  out << "X.509 issuing CA key generated in the token: " << signer->location() << "\n"
      << "its certificate, signed by the root, written to "
      << settings.x509_issuing_cert_file.string() << "\n"
      << "broker.yaml: ca.x509_issuing_key_file: \"" << signer->location() << "\"\n";
  return 0;
}

}  // namespace

int run_ca_init(const config::BrokerConfig& config, const CaInitOptions& options,
                std::ostream& out) {
  create_private_dir(config.data_dir);
  if (options.kind == "ssh") return init_ssh(config, options, out);
  return init_x509(config, options, out);
}

}  // namespace jit::broker
