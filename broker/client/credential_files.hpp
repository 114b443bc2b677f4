// Where `jit` puts what it mints, and with which modes: for an SSH certificate DIR/jit-GRANT (the
// private key, 0600, OpenSSH format), DIR/jit-GRANT.pub and DIR/jit-GRANT-cert.pub (0644), the
// names `ssh -i` and `ssh-add` pair up; for an X.509 certificate DIR/jit-GRANT.key (0600, PKCS#8),
// DIR/jit-GRANT.crt and DIR/jit-GRANT-chain.pem (0644). Each file is written atomically; a folder
// that does not exist yet is created with mode 0700.
#pragma once

#include "ca/ca_error.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace jit::broker {

struct SshCredentialPaths {
  std::filesystem::path private_key;
  std::filesystem::path public_key;
  std::filesystem::path certificate;
};
[[nodiscard]] SshCredentialPaths ssh_credential_paths(const std::filesystem::path& dir,
                                                      std::string_view grant_id);

struct X509CredentialPaths {
  std::filesystem::path private_key;
  std::filesystem::path certificate;
  std::filesystem::path chain;
};
[[nodiscard]] X509CredentialPaths x509_credential_paths(const std::filesystem::path& dir,
                                                        std::string_view grant_id);

// Creates `dir` and missing parents with mode 0700; an existing folder keeps its mode.
// io_failure when it cannot be created or is not a folder.
[[nodiscard]] Result<void> ensure_private_folder(const std::filesystem::path& dir);

// Lines get a final newline when they lack one. io_failure names no path: the caller knows it.
[[nodiscard]] Result<void> write_ssh_credentials(const SshCredentialPaths& paths,
                                                 std::string_view private_key_text,
                                                 std::string_view public_key_line,
                                                 std::string_view certificate_line);
[[nodiscard]] Result<void> write_x509_credentials(const X509CredentialPaths& paths,
                                                  std::string_view private_key_pem,
                                                  std::string_view certificate_pem,
                                                  std::string_view chain_pem);

}  // namespace jit::broker
