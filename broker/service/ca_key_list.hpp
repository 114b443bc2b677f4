// The SSH CA key list that `jit-broker ca rotate ssh` and `ca retire ssh` maintain
// (docs/operations.md "CA rotation"): DATA_DIR/ca/ssh_keys.list, one key file path or pkcs11: URI a
// line, newest first, '#' comments. When it exists it replaces ca.ssh_key_files, so a rotation is a
// command and a restart, as with Vault's or Teleport's CA rotation, and broker.yaml stays as
// written. Until the first rotation the list is broker.yaml's.
#pragma once

#include "config/broker_config.hpp"

#include <filesystem>
#include <vector>

namespace jit::broker {

[[nodiscard]] std::filesystem::path ssh_key_list_file(const config::BrokerConfig& config);

// config.ca with ssh_key_files from the list file when it exists. Throws std::runtime_error naming
// the file when it cannot be read or lists no key.
[[nodiscard]] config::CaSettings ca_settings_with_key_list(const config::BrokerConfig& config);

// Writes the list atomically (mode 0600). Throws std::runtime_error on failure.
void write_ssh_key_list(const config::BrokerConfig& config,
                        const std::vector<std::filesystem::path>& newest_first);

}  // namespace jit::broker
