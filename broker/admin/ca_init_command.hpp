// `jit-broker ca init ssh|x509 --pkcs11 URI` (docs/operations.md "CA keys in an HSM (PKCS#11)"):
// generates a CA key inside the token named by the URI, with ca.pkcs11's module and PIN, and writes
// the public material the broker and relying parties need next to it.
#pragma once

#include "config/broker_config.hpp"

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace jit::broker {

struct CaInitOptions {
  std::string kind;        // "ssh" or "x509"
  std::string pkcs11_uri;  // where the key is made; needs object=LABEL
  // ssh: "ed25519" (default) | "ecdsa-p256"; x509: "ecdsa-p256" (default) | "ed25519" | "rsa-3072".
  std::optional<std::string> key_type;
  // ssh: the `.pub` file to write (default <data_dir>/ca/ssh_ca_<object>.pub).
  std::optional<std::filesystem::path> public_key_file;
};

// ssh: writes the public key line (sshd's TrustedUserCAKeys format) to the file and prints it.
// x509: the issuing CA certificate for the token key, signed by the root (ca.x509_root_cert_file
// with ca.x509_root_key_file; a new root is made and saved there when neither file exists), is
// written to ca.x509_issuing_cert_file, which must not exist yet. Prints the broker.yaml lines to
// change. Throws std::runtime_error (one line, never the PIN) on any problem.
int run_ca_init(const config::BrokerConfig& config, const CaInitOptions& options,
                std::ostream& out);

}  // namespace jit::broker
