#include "broker/admin/ca_rotate_command.hpp"

#include "broker/admin/ca_admin_store.hpp"
#include "broker/data_dir.hpp"
#include "broker/service/ca_key_list.hpp"
#include "broker/service/ca_keys.hpp"
#include "ca/ssh_ca_key.hpp"

#include <chrono>
#include <ostream>
#include <stdexcept>

namespace jit::broker {

int run_ca_rotate_ssh(const config::BrokerConfig& config,
                      const std::optional<std::string>& pkcs11_uri, std::ostream& out) {
  create_private_dir(config.data_dir);
  const config::CaSettings settings = ca_settings_with_key_list(config);
  // The current keys must load: a rotation never starts from a list the broker cannot read.
  (void)load_ssh_ca(settings);
  std::filesystem::path location;
  std::optional<ca::SshCaKey> key;
  if (pkcs11_uri) {
    auto made = ca::SshCaKey::from_signer(
        ca::generate_pkcs11_key(pkcs11_settings(settings), *pkcs11_uri,
                                settings.ssh_key_type == "ecdsa-p256" ? ca::KeyAlgorithm::ecdsa_p256
                                                                      : ca::KeyAlgorithm::ed25519));
    if (!made) throw std::runtime_error("the new key does not sign: " + made.error().message());
    key.emplace(std::move(*made));
    location = ca::redact_pkcs11_uri(*pkcs11_uri);
  } else {
    const auto stamp = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    location = config.data_dir / "ca" / ("ssh_ca-" + std::to_string(stamp) + ".key");
    std::error_code ec;
    if (std::filesystem::exists(location, ec)) {
      throw std::runtime_error(location.string() + " exists; run the rotation again in a second");
    }
    auto passphrase = ca_key_passphrase(settings);
    auto made = ca::SshCaKey::load_or_generate_file(location, passphrase.view(),
                                                    settings.ssh_key_type == "ecdsa-p256"
                                                        ? ca::KeyAlgorithm::ecdsa_p256
                                                        : ca::KeyAlgorithm::ed25519);
    if (!made)
      throw std::runtime_error("cannot make " + location.string() + ": " + made.error().message());
    key.emplace(std::move(*made));
  }
  std::vector<std::filesystem::path> keys{location};
  keys.insert(keys.end(), settings.ssh_key_files.begin(), settings.ssh_key_files.end());
  audit_ca_key_change(
      config, {"ca.rotate", "ssh", key->public_key().fingerprint_sha256(), location.string()});
  write_ssh_key_list(config, keys);
  out << "new SSH CA key " << key->public_key().fingerprint_sha256() << " (" << location.string()
      << ") is first in " << ssh_key_list_file(config).string() << "\n"
      << "add it to every host's TrustedUserCAKeys, then restart the broker:\n"
      << key->public_key().line() << "\n";
  return 0;
}

int run_ca_retire_ssh(const config::BrokerConfig& config, const std::string& fingerprint,
                      std::ostream& out, std::ostream& err) {
  const config::CaSettings settings = ca_settings_with_key_list(config);
  const auto authority = load_ssh_ca(settings);
  const auto keys = authority.keys();  // oldest first; the list is newest first
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].public_key().fingerprint_sha256() == fingerprint) found = keys.size() - 1 - i;
  }
  if (!found) {
    err << "jit-broker: no SSH CA key " << fingerprint << " (see jit-broker ca show)\n";
    return 1;
  }
  if (*found == 0) {
    err << "jit-broker: " << fingerprint << " is the signing key; rotate first\n";
    return 1;
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto unexpired = unexpired_certificates(config, "ssh", fingerprint, now);
  if (unexpired.count > 0) {
    err << "jit-broker: " << unexpired.count << " certificate(s) of " << fingerprint
        << " are still valid (the last until " << unexpired.last_not_after
        << " Unix time); retire it after that\n";
    return 1;
  }
  std::vector<std::filesystem::path> remaining = settings.ssh_key_files;
  const auto retired = remaining[*found];
  remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(*found));
  audit_ca_key_change(config, {"ca.retire", "ssh", fingerprint, retired.string()});
  write_ssh_key_list(config, remaining);
  out << "retired SSH CA key " << fingerprint << " (" << retired.string()
      << "); restart the broker, then remove its line from the hosts' TrustedUserCAKeys\n";
  return 0;
}

}  // namespace jit::broker
