// A real nginx (Debian nginx-light) on 127.0.0.1 that requires client certificates, checked
// against a CA file and a CRL file as an operator configures it for the broker's X.509 CA
// (ssl_client_certificate = GET /v1/ca/x509, ssl_crl = GET /v1/ca/x509/crl?format=pem-bundle), and
// curl presenting a client certificate to it. nginx reads both files at start: make a new one
// after the CRL changed.
#pragma once

#include "tests/support/child_process.hpp"
#include "tests/support/ssh_process.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace jit::testing {

inline const std::filesystem::path kNginxBinary = "/usr/sbin/nginx";

struct NginxMtlsFiles {
  std::filesystem::path server_certificate;  // also what curl trusts (--cacert)
  std::filesystem::path server_key;
  std::filesystem::path client_ca;  // PEM certificates: the chain clients are checked against
  std::filesystem::path crl;        // PEM CRLs for every certificate of that chain
};

class NginxMtlsServer {
 public:
  // Writes nginx.conf into `dir` (its logs and temp files go there too), starts nginx on a free
  // port and waits until it answers (at most 10 s).
  NginxMtlsServer(const std::filesystem::path& dir, NginxMtlsFiles files);
  // SIGTERM, and waits for it.
  ~NginxMtlsServer();
  NginxMtlsServer(const NginxMtlsServer&) = delete;
  NginxMtlsServer& operator=(const NginxMtlsServer&) = delete;

  // GET / with this client certificate: out is the client's subject DN nginx saw (on 200), then a
  // line with the HTTP status ("...\n200").
  [[nodiscard]] ProcessResult request(const std::filesystem::path& certificate,
                                      const std::filesystem::path& key) const;
  [[nodiscard]] std::string error_log() const;

 private:
  std::filesystem::path dir_;
  NginxMtlsFiles files_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace jit::testing
