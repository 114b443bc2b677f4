#include "broker/service/ca_keys.hpp"

#include "ca/atomic_file.hpp"
#include "ca/bytes.hpp"
#include "ca/private_key.hpp"
#include "config/secret_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace jit::broker {
namespace {

ca::KeyAlgorithm ssh_algorithm(const std::string& name) {
  if (name == "ecdsa-p256") return ca::KeyAlgorithm::ecdsa_p256;
  return ca::KeyAlgorithm::ed25519;
}

// A CA private key file, or the passphrase that unlocks the keys, that others may read is refused,
// as the data key is: a secret readable by a group or everyone may already be copied, and
// starting would hide that. Files that do not exist (yet) are left to the loader, which generates
// or reports them.
void refuse_if_readable_by_others(const std::filesystem::path& file, const char* what) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    if (errno == ENOENT) return;
    throw std::runtime_error(std::string("cannot read the ") + what + " " + file.string());
  }
  if (auto exposed = config::secret_file_exposure(file, what)) throw std::runtime_error(*exposed);
}

}  // namespace

ca::KeyAlgorithm x509_key_algorithm(const std::string& name) {
  if (name == "ed25519") return ca::KeyAlgorithm::ed25519;
  if (name == "rsa-3072") return ca::KeyAlgorithm::rsa;
  return ca::KeyAlgorithm::ecdsa_p256;
}

CaPassphrase ca_key_passphrase(const config::CaSettings& settings) {
  if (settings.passphrase_env) {
    const char* value = std::getenv(settings.passphrase_env->c_str());
    if (value == nullptr || *value == '\0') {
      throw std::runtime_error("environment variable " + *settings.passphrase_env +
                               " (ca.passphrase_env) is not set");
    }
    return CaPassphrase(std::string(value));
  }
  if (settings.passphrase_file) {
    refuse_if_readable_by_others(*settings.passphrase_file, "CA passphrase file");
    auto content = ca::read_file(*settings.passphrase_file, 4096);
    if (!content) {
      throw std::runtime_error("cannot read the CA passphrase file " +
                               settings.passphrase_file->string());
    }
    std::string text(ca::as_chars(*content));
    ca::wipe(*content);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty()) {
      throw std::runtime_error("the CA passphrase file " + settings.passphrase_file->string() +
                               " is empty");
    }
    return CaPassphrase(std::move(text));
  }
  return CaPassphrase();
}

ca::Pkcs11Settings pkcs11_settings(const config::CaSettings& settings) {
  if (!settings.pkcs11) throw std::runtime_error("a pkcs11: CA key needs ca.pkcs11 (module, PIN)");
  ca::Pkcs11Settings out{settings.pkcs11->module, {}};
  if (settings.pkcs11->pin_env) {
    const char* value = std::getenv(settings.pkcs11->pin_env->c_str());
    if (value == nullptr || *value == '\0') {
      throw std::runtime_error("environment variable " + *settings.pkcs11->pin_env +
                               " (ca.pkcs11.pin_env) is not set");
    }
    out.pin = value;
    return out;
  }
  const auto& file = *settings.pkcs11->pin_file;
  refuse_if_readable_by_others(file, "PKCS#11 PIN file");
  auto content = ca::read_file(file, 4096);
  if (!content) throw std::runtime_error("cannot read the PKCS#11 PIN file " + file.string());
  out.pin.assign(ca::as_chars(*content));
  ca::wipe(*content);
  while (!out.pin.empty() && (out.pin.back() == '\n' || out.pin.back() == '\r')) out.pin.pop_back();
  if (out.pin.empty())
    throw std::runtime_error("the PKCS#11 PIN file " + file.string() + " is empty");
  return out;
}

std::shared_ptr<ca::Pkcs11Signer> open_pkcs11_key(const config::CaSettings& settings,
                                                  const std::filesystem::path& location) {
  return ca::Pkcs11Signer::open(pkcs11_settings(settings), location.string());
}

ca::SshCertificateAuthority load_ssh_ca(const config::CaSettings& settings) {
  if (settings.ssh_key_files.empty())
    throw std::runtime_error("no SSH CA key configured (ca.ssh_key_files)");
  for (const auto& file : settings.ssh_key_files) {
    if (!ca::is_pkcs11_uri(file.string())) refuse_if_readable_by_others(file, "CA key");
  }
  auto passphrase = ca_key_passphrase(settings);
  const std::optional<std::string_view> view = passphrase.view();
  std::vector<ca::SshCaKey> keys;  // oldest first, as SshCertificateAuthority wants them
  for (auto it = settings.ssh_key_files.rbegin(); it != settings.ssh_key_files.rend(); ++it) {
    const bool newest = std::next(it) == settings.ssh_key_files.rend();
    if (ca::is_pkcs11_uri(it->string())) {
      auto key = ca::SshCaKey::from_signer(open_pkcs11_key(settings, *it));
      if (!key) {
        throw std::runtime_error("cannot use SSH CA key " + ca::redact_pkcs11_uri(it->string()) +
                                 ": " + key.error().message());
      }
      keys.push_back(std::move(*key));
      continue;
    }
    if (newest && settings.generate_missing) {
      std::error_code ec;
      std::filesystem::create_directories(it->parent_path(), ec);
    }
    auto key =
        newest && settings.generate_missing
            ? ca::SshCaKey::load_or_generate_file(*it, view, ssh_algorithm(settings.ssh_key_type))
            : ca::SshCaKey::load_file(*it, view);
    if (!key) {
      throw std::runtime_error("cannot load SSH CA key " + it->string() + ": " +
                               key.error().message());
    }
    keys.push_back(std::move(*key));
  }
  auto authority = ca::SshCertificateAuthority::create(std::move(keys));
  if (!authority)
    throw std::runtime_error("SSH CA keys are not usable: " + authority.error().message());
  return std::move(*authority);
}

namespace {

ca::X509CaHierarchy load_current_x509_ca(const config::CaSettings& settings);

}  // namespace

ca::X509CaHierarchy load_x509_ca(const config::CaSettings& settings,
                                 std::span<const X509IssuerFiles> previous) {
  auto hierarchy = load_current_x509_ca(settings);
  for (const auto& files : previous) {
    const bool on_token = ca::is_pkcs11_uri(files.key.string());
    if (!on_token) refuse_if_readable_by_others(files.key, "CA key");
    CaPassphrase passphrase;
    if (!on_token) passphrase = ca_key_passphrase(settings);
    auto loaded = ca::load_issuing_ca(files.certificate, files.key, passphrase.view(),
                                      on_token ? open_pkcs11_key(settings, files.key) : nullptr);
    const std::string named =
        files.certificate.string() + " with its key " + ca::redact_pkcs11_uri(files.key.string());
    if (!loaded) {
      throw std::runtime_error("cannot load the previous X.509 issuing CA (" + named +
                               "): " + loaded.error().message());
    }
    if (auto added = hierarchy.add_previous_issuing(std::move(*loaded)); !added) {
      throw std::runtime_error("the previous X.509 issuing CA " + named +
                               " is not certified by the root " +
                               settings.x509_root_cert_file.string());
    }
  }
  return hierarchy;
}

namespace {

ca::X509CaHierarchy load_current_x509_ca(const config::CaSettings& settings) {
  const ca::X509HierarchyFiles files{settings.x509_root_cert_file, settings.x509_root_key_file,
                                     settings.x509_issuing_cert_file,
                                     settings.x509_issuing_key_file};
  const bool issuing_on_token = ca::is_pkcs11_uri(files.issuing_key.string());
  refuse_if_readable_by_others(files.root_key, "CA key");
  if (!issuing_on_token) refuse_if_readable_by_others(files.issuing_key, "CA key");
  auto passphrase = ca_key_passphrase(settings);
  const std::optional<std::string_view> view = passphrase.view();
  const auto now = std::chrono::system_clock::now();
  std::error_code ec;
  if (issuing_on_token) {
    // The key on the token, its certificate from `ca init --pkcs11`: never generated here.
    auto signer = open_pkcs11_key(settings, files.issuing_key);
    ca::X509HierarchyFiles to_load = files;
    if (!std::filesystem::exists(files.root_key, ec)) to_load.root_key.clear();
    auto loaded = ca::load_hierarchy(to_load, view, now, std::move(signer));
    if (!loaded) {
      throw std::runtime_error(
          "cannot load the X.509 CA (" + files.issuing_certificate.string() + " with its key " +
          ca::redact_pkcs11_uri(files.issuing_key.string()) + "): " + loaded.error().message());
    }
    return std::move(*loaded);
  }
  const bool none_present = !std::filesystem::exists(files.root_certificate, ec) &&
                            !std::filesystem::exists(files.issuing_certificate, ec) &&
                            !std::filesystem::exists(files.issuing_key, ec) &&
                            !std::filesystem::exists(files.root_key, ec);
  if (settings.generate_missing && none_present) {
    auto created =
        ca::create_dev_hierarchy(x509_key_algorithm(settings.x509_key_type), {}, {}, now);
    if (!created)
      throw std::runtime_error("cannot create the dev X.509 CA: " + created.error().message());
    std::filesystem::create_directories(files.issuing_certificate.parent_path(), ec);
    std::filesystem::create_directories(files.root_certificate.parent_path(), ec);
    if (auto saved = created->save(files, view); !saved) {
      throw std::runtime_error("cannot save the dev X.509 CA under " +
                               files.issuing_certificate.parent_path().string() + ": " +
                               saved.error().message());
    }
    return std::move(*created);
  }
  // The root key may be kept offline: load without it when its file is absent.
  ca::X509HierarchyFiles to_load = files;
  if (!std::filesystem::exists(files.root_key, ec)) to_load.root_key.clear();
  auto loaded = ca::load_hierarchy(to_load, view, now);
  if (!loaded) {
    throw std::runtime_error("cannot load the X.509 CA (" + files.issuing_certificate.string() +
                             ", " + files.root_certificate.string() +
                             "): " + loaded.error().message());
  }
  return std::move(*loaded);
}

}  // namespace

}  // namespace jit::broker
