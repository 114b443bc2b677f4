// `jit ssh-cert` and `jit x509-cert`: make a key on this machine, send only its public half (an
// OpenSSH public key line, or a CSR) to the broker for a grant, check that the certificate that
// comes back is for that key, and write key and certificate side by side (credential_files.hpp).
// The private key never leaves the machine. Return the exit code (kJit* in jit_api_client.hpp).
#pragma once

#include "broker/client/jit_api_client.hpp"

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace jit::broker {

struct SshCertOptions {
  std::string grant;
  std::optional<std::string> totp;           // prompted for only when the broker asks
  std::optional<std::filesystem::path> dir;  // default ~/.ssh
  bool add_to_agent = true;                  // when SSH_AUTH_SOCK is set
};
// Prints one `ssh -i KEY -o CertificateFile=CERT PRINCIPAL@<host>` line per principal on `out`.
int jit_ssh_cert(const JitGlobalOptions& global, const SshCertOptions& options, std::istream& in,
                 std::ostream& out, std::ostream& err);

struct X509CertOptions {
  std::string grant;
  std::optional<std::string> totp;           // prompted for only when the broker asks
  std::optional<std::filesystem::path> dir;  // default <jit config folder>/certs
};
// Prints the three paths and the certificate's not_after on `out`.
int jit_x509_cert(const JitGlobalOptions& global, const X509CertOptions& options, std::istream& in,
                  std::ostream& out, std::ostream& err);

}  // namespace jit::broker
