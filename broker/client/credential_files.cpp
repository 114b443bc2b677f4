#include "broker/client/credential_files.hpp"

#include "ca/atomic_file.hpp"
#include "ca/bytes.hpp"

#include <sys/stat.h>

#include <system_error>

namespace jit::broker {
namespace {

Result<void> write_text(const std::filesystem::path& path, std::string_view text, mode_t mode) {
  if (!text.empty() && text.back() == '\n') {
    return ca::write_file_atomically(path, ca::as_bytes(text), mode);
  }
  std::string line(text);
  line += '\n';
  auto written = ca::write_file_atomically(path, ca::as_bytes(line), mode);
  ca::wipe(line);  // may be a private key
  return written;
}

}  // namespace

SshCredentialPaths ssh_credential_paths(const std::filesystem::path& dir,
                                        std::string_view grant_id) {
  const std::string base = "jit-" + std::string(grant_id);
  return {dir / base, dir / (base + ".pub"), dir / (base + "-cert.pub")};
}

X509CredentialPaths x509_credential_paths(const std::filesystem::path& dir,
                                          std::string_view grant_id) {
  const std::string base = "jit-" + std::string(grant_id);
  return {dir / (base + ".key"), dir / (base + ".crt"), dir / (base + "-chain.pem")};
}

Result<void> ensure_private_folder(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return {};
  // Parents one at a time, so that each folder this creates gets 0700 from its creation.
  std::filesystem::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (std::filesystem::is_directory(partial, ec)) continue;
    if (::mkdir(partial.c_str(), 0700) != 0 && !std::filesystem::is_directory(partial, ec))
      return ca::CaErrc::io_failure;
  }
  return {};
}

Result<void> write_ssh_credentials(const SshCredentialPaths& paths,
                                   std::string_view private_key_text,
                                   std::string_view public_key_line,
                                   std::string_view certificate_line) {
  if (auto written = write_text(paths.private_key, private_key_text, 0600); !written)
    return written;
  if (auto written = write_text(paths.public_key, public_key_line, 0644); !written) return written;
  return write_text(paths.certificate, certificate_line, 0644);
}

Result<void> write_x509_credentials(const X509CredentialPaths& paths,
                                    std::string_view private_key_pem,
                                    std::string_view certificate_pem, std::string_view chain_pem) {
  if (auto written = write_text(paths.private_key, private_key_pem, 0600); !written) return written;
  if (auto written = write_text(paths.certificate, certificate_pem, 0644); !written) return written;
  return write_text(paths.chain, chain_pem, 0644);
}

}  // namespace jit::broker
