// The server's TLS settings, and a self-signed certificate for development (`dev_tls: true`).
// Both run at start-up and throw std::runtime_error with one line naming the file at fault.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace jit::broker {

// TLS 1.2 minimum (1.3 is negotiated whenever the client offers it), ECDHE with AEAD ciphers only
// for 1.2, no compression, no renegotiation, server cipher preference, ALPN http/1.1 only.
// `cert_file` is a PEM chain (leaf first), `key_file` an unencrypted PEM private key.
[[nodiscard]] boost::asio::ssl::context make_server_tls_context(
    const std::filesystem::path& cert_file, const std::filesystem::path& key_file);

struct DevTlsFiles {
  std::filesystem::path cert_file;  // <dir>/server.crt
  std::filesystem::path key_file;   // <dir>/server.key, mode 0600
};

// Reuses <dir>/server.crt and server.key when both exist; otherwise creates the folder (0700) and
// writes a new ECDSA P-256 key and a self-signed certificate valid one year: CN and SANs from
// `hosts` (an IPv4/IPv6 literal becomes an IP SAN, anything else a DNS SAN), serverAuth EKU,
// CA:FALSE. Doubles as the trust anchor clients use for it (`curl --cacert server.crt`).
DevTlsFiles ensure_dev_tls_files(const std::filesystem::path& dir,
                                 const std::vector<std::string>& hosts = {"localhost", "127.0.0.1",
                                                                          "::1"});

}  // namespace jit::broker
