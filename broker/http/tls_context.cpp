#include "broker/http/tls_context.hpp"

#include "ca/atomic_file.hpp"
#include "ca/bytes.hpp"
#include "ca/openssl_handles.hpp"
#include "ca/private_key.hpp"
#include "config/secret_file.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <boost/asio/ip/address.hpp>

#include <stdexcept>
#include <system_error>

namespace jit::broker {
namespace {

namespace fs = std::filesystem;

// TLS 1.2 suites: forward secret, AEAD only (Mozilla "intermediate"). TLS 1.3 keeps OpenSSL's
// defaults, which are all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

constexpr long kDevCertSeconds = 365L * 24 * 3600;

[[noreturn]] void fail(const std::string& what) {
  ca::clear_openssl_errors();
  throw std::runtime_error(what);
}

// ALPN: we speak HTTP/1.1 only. A client offering only h2 gets no ALPN answer and decides.
int select_http11(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
                  const unsigned char* offered, unsigned int offered_length, void* /*arg*/) {
  static constexpr unsigned char kProtocols[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kProtocols, sizeof kProtocols, offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// "DNS:localhost,IP:127.0.0.1,...". Each host is checked so that nothing can smuggle a second
// entry or another name type into the OpenSSL configuration string.
std::string subject_alt_names(const std::vector<std::string>& hosts) {
  std::string names;
  for (const std::string& host : hosts) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    bool dns_ok = !host.empty() && host.size() <= 253;
    for (const char c : host) {
      dns_ok = dns_ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.');
    }
    if (ec && !dns_ok) throw std::runtime_error("invalid host name for the dev TLS certificate");
    if (!names.empty()) names += ',';
    names += (ec ? "DNS:" : "IP:") + host;
  }
  return names;
}

void add_extension(X509* cert, X509V3_CTX& v3, int nid, const std::string& value) {
  ca::X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str()));
  if (!extension || X509_add_ext(cert, extension.get(), -1) != 1) {
    fail("cannot build the dev TLS certificate");
  }
}

std::string self_signed_certificate_pem(EVP_PKEY* key, const std::vector<std::string>& hosts) {
  ca::clear_openssl_errors();
  ca::X509Ptr cert(X509_new());
  ca::BignumPtr serial(BN_new());
  if (!cert || !serial || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kDevCertSeconds) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1) {
    fail("cannot build the dev TLS certificate");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());  // owned by cert
  const auto* common_name = reinterpret_cast<const unsigned char*>(hosts.front().c_str());
  const auto* organization = reinterpret_cast<const unsigned char*>("jitbroker development");
  if (hosts.front().size() > 64 ||
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, organization, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, common_name, -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    fail("cannot build the dev TLS certificate subject");
  }
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  add_extension(cert.get(), v3, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), v3, NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), v3, NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), v3, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), v3, NID_subject_alt_name, subject_alt_names(hosts));
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) fail("cannot sign the dev TLS certificate");

  ca::BioPtr bio(BIO_new(BIO_s_mem()));
  char* data = nullptr;
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1)
    fail("cannot encode the dev TLS cert");
  const long length = BIO_get_mem_data(bio.get(), &data);
  if (length <= 0 || data == nullptr) fail("cannot encode the dev TLS certificate");
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

boost::asio::ssl::context make_server_tls_context(const fs::path& cert_file,
                                                  const fs::path& key_file) {
  namespace ssl = boost::asio::ssl;
  ssl::context context(ssl::context::tls_server);
  SSL_CTX* native = context.native_handle();
  ca::clear_openssl_errors();
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_ECDH_USE);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    fail("cannot configure TLS");
  }
  SSL_CTX_set_alpn_select_cb(native, select_http11, nullptr);

  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1) {
    fail("cannot load the TLS certificate chain " + cert_file.string());
  }
  // Whoever can read the key can be this broker to every client (docs/operations.md, "Configure").
  if (auto exposed = config::group_shared_key_exposure(key_file, "the TLS private key")) {
    fail(*exposed);
  }
  auto key = ca::load_private_key_file(key_file, std::nullopt);
  if (!key) fail("cannot load the TLS private key " + key_file.string());
  // SSL_CTX_use_PrivateKey takes its own reference; our handle still frees ours.
  if (SSL_CTX_use_PrivateKey(native, key->get()) != 1 || SSL_CTX_check_private_key(native) != 1) {
    fail("the TLS private key " + key_file.string() + " does not match the certificate " +
         cert_file.string());
  }
  return context;
}

DevTlsFiles ensure_dev_tls_files(const fs::path& dir, const std::vector<std::string>& hosts) {
  DevTlsFiles files{dir / "server.crt", dir / "server.key"};
  std::error_code ec;
  if (fs::exists(files.cert_file, ec) && fs::exists(files.key_file, ec)) return files;
  if (hosts.empty()) throw std::runtime_error("the dev TLS certificate needs at least one host");

  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (!ec) fs::permissions(dir, fs::perms::owner_all, ec);
    if (ec) throw std::runtime_error("cannot create the dev TLS folder " + dir.string());
  }
  auto key = ca::generate_private_key(ca::KeyAlgorithm::ecdsa_p256);
  if (!key) fail("cannot generate the dev TLS key");
  const std::string cert_pem = self_signed_certificate_pem(key->get(), hosts);
  // The key first: a certificate on disk always has its key next to it.
  if (!ca::save_private_key_file(files.key_file, key->get(), std::nullopt)) {
    throw std::runtime_error("cannot write the dev TLS key " + files.key_file.string());
  }
  if (!ca::write_file_atomically(files.cert_file, ca::as_bytes(cert_pem), 0644)) {
    throw std::runtime_error("cannot write the dev TLS certificate " + files.cert_file.string());
  }
  return files;
}

}  // namespace jit::broker
