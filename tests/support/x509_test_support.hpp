// Helpers shared by the X.509 unit and integration tests: CSRs and certificates made or read with
// OpenSSL's own API (independent of the DER code under test), temporary directories, files, and
// running a real tool.
#pragma once

#include "ca/bytes.hpp"
#include "ca/openssl_handles.hpp"
#include "ca/private_key.hpp"
#include "ca/x509_certificate_authority.hpp"
#include "tests/support/files.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace jit::testing {

using Clock = std::chrono::system_clock;

struct CsrOptions {
  std::string subject_common_name = "mallory";
  // Extensions the requester asks for ("name=value" in openssl's config syntax), which the CA
  // must ignore, e.g. {NID_basic_constraints, "critical,CA:TRUE"}.
  std::vector<std::pair<int, std::string>> extensions;
  const EVP_MD* md = EVP_sha256();  // null for Ed25519
};

// A CSR signed by `key`, DER.
ca::Bytes make_csr_der(EVP_PKEY* key, const CsrOptions& options = {});
std::string make_csr_pem(EVP_PKEY* key, const CsrOptions& options = {});

ca::EvpPkeyPtr generate(ca::KeyAlgorithm algorithm);

ca::X509Ptr parse_certificate(ca::ByteView der);
ca::X509Ptr parse_certificate_pem(const std::string& pem);
ca::X509CrlPtr parse_crl(ca::ByteView der);

// The extension with this NID, decoded by OpenSSL (X509_get_ext_d2i); null if absent. `critical`
// is set to -1 when absent.
template <typename T>
T* certificate_extension(const X509* certificate, int nid, int* critical) {
  return static_cast<T*>(X509_get_ext_d2i(certificate, nid, critical, nullptr));
}

std::string name_entry(const X509_NAME* name, int nid);  // first entry's UTF-8 text, "" if none

// OpenSSL's own chain verification: root trusted, intermediate untrusted, at time `at`, with the
// sslclient purpose, optionally with CRLs and CRL checking of the whole chain. X509_V_OK or the
// error code.
int verify_with_openssl(const X509* leaf, const X509* intermediate, const X509* root,
                        const std::vector<const X509_CRL*>& crls, Clock::time_point at);

// A TLS server certificate from `ca` for 127.0.0.1 and localhost (serverAuth), built with OpenSSL's
// X509 API: the CA library itself only issues client certificates.
ca::X509Ptr issue_test_server_certificate(const ca::X509CertificateAuthority& ca, EVP_PKEY* key,
                                          Clock::time_point now);

std::string certificate_pem(const X509* certificate);

struct ClientFiles {
  std::filesystem::path certificate;  // PEM
  std::filesystem::path key;          // PKCS#8 PEM
  std::string serial_hex;
};
// A P-256 key and a client certificate for CN=alice, OU=prod-db-read from a CSR, written to
// dir/name.pem and dir/name.key.
ClientFiles issue_client_files(const ca::X509CertificateAuthority& ca,
                               const std::filesystem::path& dir, const std::string& name,
                               Clock::time_point now, Clock::time_point not_after);

struct CommandResult {
  int exit_code = -1;  // -1 when it could not start or was killed
  std::string output;  // stdout and stderr together
};
// Runs argv[0] (looked up in PATH) with the arguments, no shell, and waits for it.
CommandResult run_command(const std::vector<std::string>& argv);

}  // namespace jit::testing
