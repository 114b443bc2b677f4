// The CA key lists that `jit-broker ca rotate` and `ca retire` maintain (docs/operations.md "CA
// rotation"), in DATA_DIR/ca, newest first, '#' comments:
// - ssh_keys.list: one SSH CA key file path or pkcs11: URI a line;
// - x509_issuers.list: one X.509 issuing CA a line, its certificate file, a tab, then its key file
//   path or pkcs11: URI.
// When a list exists it replaces broker.yaml's ca.ssh_key_files, or ca.x509_issuing_cert_file and
// ca.x509_issuing_key_file, so a rotation is a command and a restart, as with Vault's or
// Teleport's CA rotation, and broker.yaml stays as written. Until the first rotation the list is
// broker.yaml's.
#pragma once

#include "broker/service/ca_keys.hpp"
#include "config/broker_config.hpp"

#include <filesystem>
#include <vector>

namespace jit::broker {

[[nodiscard]] std::filesystem::path ssh_key_list_file(const config::BrokerConfig& config);
[[nodiscard]] std::filesystem::path x509_issuer_list_file(const config::BrokerConfig& config);

// config.ca with ssh_key_files from the SSH list, and the issuing certificate and key from the
// first line of the X.509 list, when they exist. Throws std::runtime_error naming the file when a
// list cannot be read or lists no key.
[[nodiscard]] config::CaSettings ca_settings_with_key_list(const config::BrokerConfig& config);

// The X.509 issuing CAs, newest first (the first signs): the list's, else broker.yaml's one.
// Throws as ca_settings_with_key_list.
[[nodiscard]] std::vector<X509IssuerFiles> x509_issuers(const config::BrokerConfig& config);

// The root and every issuing CA of x509_issuers(config) (load_x509_ca), for `serve`, `ca show`
// and the rotation commands.
[[nodiscard]] ca::X509CaHierarchy load_x509_ca_with_list(const config::BrokerConfig& config);

// Write a list atomically (mode 0600). Throw std::runtime_error on failure.
void write_ssh_key_list(const config::BrokerConfig& config,
                        const std::vector<std::filesystem::path>& newest_first);
void write_x509_issuer_list(const config::BrokerConfig& config,
                            const std::vector<X509IssuerFiles>& newest_first);

}  // namespace jit::broker
