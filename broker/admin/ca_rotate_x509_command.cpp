#include "broker/admin/ca_admin_store.hpp"
#include "broker/admin/ca_rotate_command.hpp"
#include "broker/data_dir.hpp"
#include "broker/service/ca_key_list.hpp"
#include "broker/service/ca_keys.hpp"
#include "broker/service/revocation_lists.hpp"
#include "ca/atomic_file.hpp"
#include "ca/private_key.hpp"
#include "ca/x509_hierarchy.hpp"

#include <cctype>
#include <chrono>
#include <ctime>
#include <ostream>
#include <stdexcept>

namespace jit::broker {
namespace {

// The root with its key, which must be here to certify a new issuing CA (as for `ca init x509`).
ca::X509CertificateAuthority root_with_key(const config::CaSettings& settings,
                                           std::optional<std::string_view> passphrase) {
  if (ca::is_pkcs11_uri(settings.x509_root_key_file.string())) {
    throw std::runtime_error("ca.x509_root_key_file must be a file (the root stays offline)");
  }
  auto key = ca::load_private_key_file(settings.x509_root_key_file, passphrase);
  if (!key) {
    throw std::runtime_error(
        "the root CA key " + settings.x509_root_key_file.string() +
        " must be here to certify the new issuing CA: " + key.error().message());
  }
  auto root = ca::load_root_ca(settings.x509_root_cert_file, std::move(*key));
  if (!root) {
    throw std::runtime_error("cannot use the root CA " + settings.x509_root_cert_file.string() +
                             ": " + root.error().message());
  }
  return std::move(*root);
}

std::string utc_stamp(std::chrono::system_clock::time_point now) {
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

int run_ca_rotate_x509(const config::BrokerConfig& config,
                       const std::optional<std::string>& pkcs11_uri, std::ostream& out) {
  create_private_dir(config.data_dir);
  auto issuers = x509_issuers(config);
  const config::CaSettings settings = ca_settings_with_key_list(config);
  // The current CAs must load: a rotation never starts from a list the broker cannot read.
  (void)load_x509_ca_with_list(config);
  auto passphrase = ca_key_passphrase(settings);
  const std::optional<std::string_view> view = passphrase.view();
  const auto now = std::chrono::system_clock::now();
  const std::string stamp = utc_stamp(now);
  const auto certificate_file = config.data_dir / "ca" / ("x509_issuing-" + stamp + ".pem");
  std::error_code ec;
  if (std::filesystem::exists(certificate_file, ec)) {
    throw std::runtime_error(certificate_file.string() +
                             " exists; run the rotation again in a second");
  }
  const auto root = root_with_key(settings, view);
  const auto algorithm = x509_key_algorithm(settings.x509_key_type);
  std::filesystem::path key_location;
  std::shared_ptr<ca::Pkcs11Signer> signer;
  ca::EvpPkeyPtr key;
  if (pkcs11_uri) {
    signer = ca::generate_pkcs11_key(pkcs11_settings(settings), *pkcs11_uri, algorithm);
    key_location = ca::redact_pkcs11_uri(*pkcs11_uri);
  } else {
    auto made = ca::generate_private_key(algorithm);
    if (!made) throw std::runtime_error("cannot make a key: " + made.error().message());
    key = std::move(*made);
    key_location = config.data_dir / "ca" / ("x509_issuing-" + stamp + ".key");
  }
  ca::X509HierarchyNames names;
  names.issuing_common_name = "jitbroker issuing CA " + stamp;
  auto pem =
      ca::certify_issuing_key(root, signer ? signer->public_key() : key.get(), names, {}, now);
  if (!pem) throw std::runtime_error("cannot certify the new key: " + pem.error().message());
  if (auto written = ca::write_file_atomically(certificate_file, ca::as_bytes(*pem), 0644);
      !written) {
    throw std::runtime_error("cannot write " + certificate_file.string());
  }
  if (key) {
    if (auto saved = ca::save_private_key_file(key_location, key.get(), view); !saved) {
      throw std::runtime_error("cannot write " + key_location.string());
    }
  }
  // Loaded back as the broker will load it: the key matches the certificate.
  auto issuing = ca::load_issuing_ca(certificate_file, key_location, view, signer);
  if (!issuing) {
    throw std::runtime_error("the new issuing CA does not load: " + issuing.error().message());
  }
  const auto fingerprint = x509_ca_fingerprint(*issuing);
  if (!fingerprint) throw std::runtime_error("cannot hash the new issuing CA certificate");
  issuers.insert(issuers.begin(), {certificate_file, key_location});
  audit_ca_key_change(config, {"ca.rotate", "x509", *fingerprint, key_location.string()});
  write_x509_issuer_list(config, issuers);
  out << "new X.509 issuing CA " << *fingerprint << " (" << key_location.string() << ", "
      << certificate_file.string() << ") is first in " << x509_issuer_list_file(config).string()
      << "\nrestart the broker; relying parties then need the new chain (GET /v1/ca/x509) and "
         "CRL bundle (GET /v1/ca/x509/crl?format=pem-bundle)\n";
  return 0;
}

int run_ca_retire_x509(const config::BrokerConfig& config, const std::string& fingerprint,
                       std::ostream& out, std::ostream& err) {
  auto issuers = x509_issuers(config);
  const auto x509_ca = load_x509_ca_with_list(config);
  const auto fingerprints = x509_issuer_fingerprints(x509_ca);  // parallel to issuers
  if (!fingerprints) throw std::runtime_error("cannot hash the issuing CA certificates");
  const std::string wanted = lowercase(fingerprint);
  std::size_t found = 0;
  while (found < fingerprints->size() && (*fingerprints)[found] != wanted) ++found;
  if (found == fingerprints->size()) {
    err << "jit-broker: no X.509 issuing CA " << fingerprint << " (see jit-broker ca show)\n";
    return 1;
  }
  if (found == 0) {
    err << "jit-broker: " << fingerprint << " is the signing issuing CA; rotate first\n";
    return 1;
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto unexpired = unexpired_certificates(config, "x509", wanted, now);
  if (unexpired.count > 0) {
    err << "jit-broker: " << unexpired.count << " certificate(s) of " << fingerprint
        << " are still valid (the last until " << unexpired.last_not_after
        << " Unix time); retire it after that\n";
    return 1;
  }
  const auto retired = issuers[found];
  issuers.erase(issuers.begin() + static_cast<std::ptrdiff_t>(found));
  audit_ca_key_change(config, {"ca.retire", "x509", wanted, retired.key.string()});
  write_x509_issuer_list(config, issuers);
  out << "retired X.509 issuing CA " << wanted << " (" << retired.certificate.string()
      << "); restart the broker, then give relying parties the new chain and CRL bundle\n";
  return 0;
}

}  // namespace jit::broker
