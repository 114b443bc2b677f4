// `jit-broker ca rotate ssh|x509` and `ca retire ssh|x509` (docs/operations.md "CA rotation"): the
// CA key lists in the data folder (broker/service/ca_key_list.hpp). The broker reads them at start:
// restart it after either command. Each change is an audit record (ca.rotate, ca.retire;
// broker/admin/ca_admin_store.hpp) written before the list.
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

// Makes a new X.509 issuing CA key, a file in DATA_DIR/ca (with the CA passphrase when one is
// configured; type ca.x509_key_type) or, with `pkcs11_uri`, a key generated in that token, and its
// certificate signed by the root (ca.x509_root_key_file must be present, as for `ca init x509`),
// with a common name of its own ("jitbroker issuing CA <UTC time>") so relying parties tell the
// issuing CAs apart. It goes first in the issuing CA list; the current ones stay published in the
// chain, with their CRLs and OCSP answers, until they are retired.
int run_ca_rotate_x509(const config::BrokerConfig& config,
                       const std::optional<std::string>& pkcs11_uri, std::ostream& out);

// Removes the issuing CA whose certificate has this SHA-256 fingerprint (hex, as `ca show` prints
// it) from the list, refusing as run_ca_retire_ssh does: the signing CA, an unknown fingerprint, a
// CA with certificates that have not expired yet (its CRL must stay published while they are
// valid).
int run_ca_retire_x509(const config::BrokerConfig& config, const std::string& fingerprint,
                       std::ostream& out, std::ostream& err);

}  // namespace jit::broker
