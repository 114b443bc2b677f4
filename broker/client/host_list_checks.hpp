// The checks `jit host-setup` and `jit host-refresh` make on what the broker serves before it
// replaces a file sshd or nginx reads (docs/operations.md, "Host set-up"). sshd refuses every
// public key when its RevokedKeys file does not parse, and nginx refuses every client (or does not
// start) with a CRL it cannot read, so a bad answer must leave the old file in place. Each check
// returns the problem in one sentence, empty when the content may be installed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jit::broker {

// GET /v1/ca/ssh: comment lines and at least one OpenSSH public key line, each of which parses.
[[nodiscard]] std::string ssh_ca_keys_problem(std::string_view text);

// GET /v1/ca/x509: one or more PEM certificates, each a CA certificate that parses.
[[nodiscard]] std::string x509_chain_problem(std::string_view pem);

// GET /v1/ca/ssh/krl: parses with the project's KRL reader (ca/krl.hpp, as strict as sshd), and
// its version is not older than the installed file's, when that is a readable KRL (a broker
// restored from an old backup, or a replayed answer, must not bring revoked certificates back).
[[nodiscard]] std::string krl_problem(std::string_view krl,
                                      std::optional<std::string_view> installed);

// GET /v1/ca/x509/crl?format=pem-bundle: PEM CRLs that OpenSSL parses, each signed by a
// certificate of `chain_pem` (the CA file nginx uses), one for every certificate of the chain
// (nginx checks the CRL of each CA), and none with a lower CRL number than the installed file's
// CRL of the same issuer.
[[nodiscard]] std::string crl_bundle_problem(std::string_view pem, std::string_view chain_pem,
                                             std::optional<std::string_view> installed);

}  // namespace jit::broker
