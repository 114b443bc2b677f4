// `jit-broker ca rotate ssh` and `ca retire ssh` (docs/operations.md "CA rotation"): the SSH CA key
// list in the data folder (broker/service/ca_key_list.hpp). The broker reads it at start: restart
// it after either command.
#pragma once

#include "config/broker_config.hpp"

#include <iosfwd>
#include <optional>
#include <string>

namespace jit::broker {

// Makes a new SSH CA key, a file in DATA_DIR/ca (encrypted with the CA passphrase when one is
// configured; type ca.ssh_key_type) or, with `pkcs11_uri`, a key generated in that token, and puts
// it first in the key list (the current keys stay, so they stay published and in the KRL). Prints
// the new public key line for the hosts' TrustedUserCAKeys.
int run_ca_rotate_ssh(const config::BrokerConfig& config,
                      const std::optional<std::string>& pkcs11_uri, std::ostream& out);

// Removes the key with this SHA256 fingerprint ("SHA256:...", as `ca show` prints) from the list.
// Refuses (exit 1, nothing changed) the signing key, an unknown fingerprint, and a key with
// certificates that have not expired yet, revoked or not: its revoked ones must stay in the KRL
// while hosts may still trust it.
int run_ca_retire_ssh(const config::BrokerConfig& config, const std::string& fingerprint,
                      std::ostream& out, std::ostream& err);

}  // namespace jit::broker
