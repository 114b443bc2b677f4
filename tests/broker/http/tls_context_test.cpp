#include "broker/http/tls_context.hpp"

#include "ca/atomic_file.hpp"
#include "ca/openssl_handles.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <ctime>

namespace jit::broker {
namespace {

using testing::TempDir;

ca::X509Ptr load_cert(const std::filesystem::path& file) {
  ca::BioPtr bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) return nullptr;
  return ca::X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

TEST(DevTls, CreatesAP256KeyAndServerCertificate) {
  TempDir dir;
  const DevTlsFiles files = ensure_dev_tls_files(dir.path() / "tls");
  EXPECT_EQ(files.cert_file, dir.path() / "tls" / "server.crt");
  EXPECT_EQ(files.key_file, dir.path() / "tls" / "server.key");

  struct stat key_stat {};
  ASSERT_EQ(::stat(files.key_file.c_str(), &key_stat), 0);
  EXPECT_EQ(key_stat.st_mode & 0777, 0600u);

  const ca::X509Ptr cert = load_cert(files.cert_file);
  ASSERT_TRUE(cert);
  EVP_PKEY* key = X509_get0_pubkey(cert.get());  // owned by cert
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(key), 256);
  EXPECT_EQ(X509_verify(cert.get(), key), 1);  // self-signed

  // SANs: the DNS name and both loopback addresses, and nothing for other names.
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.2", 0), 0);

  EXPECT_TRUE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER);
  EXPECT_FALSE(X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);

  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()),
                           X509_get0_notAfter(cert.get())),
            1);
  EXPECT_EQ(days, 365);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notBefore(cert.get())), -1);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notAfter(cert.get())), 1);
}

TEST(DevTls, ReusesExistingFiles) {
  TempDir dir;
  const DevTlsFiles first = ensure_dev_tls_files(dir.path());
  const auto cert_before = ca::read_file(first.cert_file, 1 << 20);
  const auto key_before = ca::read_file(first.key_file, 1 << 20);
  ASSERT_TRUE(cert_before && key_before);
  const DevTlsFiles second = ensure_dev_tls_files(dir.path());
  EXPECT_EQ(*ca::read_file(second.cert_file, 1 << 20), *cert_before);
  EXPECT_EQ(*ca::read_file(second.key_file, 1 << 20), *key_before);
}

TEST(DevTls, RegeneratesBothWhenOneIsMissing) {
  TempDir dir;
  const DevTlsFiles first = ensure_dev_tls_files(dir.path());
  const auto key_before = ca::read_file(first.key_file, 1 << 20);
  std::filesystem::remove(first.cert_file);
  const DevTlsFiles second = ensure_dev_tls_files(dir.path());
  EXPECT_NE(*ca::read_file(second.key_file, 1 << 20), *key_before);
  EXPECT_NO_THROW((void)make_server_tls_context(second.cert_file, second.key_file));
}

TEST(DevTls, ExtraHostsAndRefusedHosts) {
  TempDir dir;
  const DevTlsFiles files = ensure_dev_tls_files(dir.path(), {"broker.test", "10.1.2.3"});
  const ca::X509Ptr cert = load_cert(files.cert_file);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_host(cert.get(), "broker.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.1.2.3", 0), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 0);

  TempDir other;
  EXPECT_THROW(ensure_dev_tls_files(other.path(), {"a,IP:1.2.3.4"}), std::runtime_error);
  EXPECT_THROW(ensure_dev_tls_files(other.path(), {"bad host"}), std::runtime_error);
  EXPECT_THROW(ensure_dev_tls_files(other.path(), {}), std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(other.path() / "server.key"));
}

TEST(ServerTlsContext, LoadsTheFilesWithModernSettings) {
  TempDir dir;
  const DevTlsFiles files = ensure_dev_tls_files(dir.path());
  boost::asio::ssl::context context = make_server_tls_context(files.cert_file, files.key_file);
  SSL_CTX* native = context.native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(native), TLS1_2_VERSION);
  EXPECT_TRUE(SSL_CTX_get_options(native) & SSL_OP_NO_COMPRESSION);
  EXPECT_TRUE(SSL_CTX_get_options(native) & SSL_OP_NO_RENEGOTIATION);
  EXPECT_NE(SSL_CTX_get0_certificate(native), nullptr);
}

std::string error_of(const std::filesystem::path& cert, const std::filesystem::path& key) {
  try {
    (void)make_server_tls_context(cert, key);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ServerTlsContext, StartUpErrorsNameTheFile) {
  TempDir a, b;
  const DevTlsFiles one = ensure_dev_tls_files(a.path());
  const DevTlsFiles two = ensure_dev_tls_files(b.path());
  EXPECT_EQ(error_of(a.path() / "missing.crt", one.key_file),
            "cannot load the TLS certificate chain " + (a.path() / "missing.crt").string());
  EXPECT_EQ(error_of(one.cert_file, a.path() / "missing.key"),
            "cannot load the TLS private key " + (a.path() / "missing.key").string());
  EXPECT_EQ(error_of(one.cert_file, two.key_file), "the TLS private key " + two.key_file.string() +
                                                       " does not match the certificate " +
                                                       one.cert_file.string());
  EXPECT_EQ(error_of(one.key_file, one.key_file),
            "cannot load the TLS certificate chain " + one.key_file.string());
  EXPECT_EQ(ERR_peek_error(), 0u);  // nothing left behind in OpenSSL's error queue
}

TEST(ServerTlsContext, AKeyEveryoneMayReadIsRefusedAndTheSslCertGroupConventionIsKept) {
  TempDir dir;
  const DevTlsFiles files = ensure_dev_tls_files(dir.path());
  std::filesystem::permissions(files.key_file, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  EXPECT_EQ(error_of(files.cert_file, files.key_file),
            "the TLS private key " + files.key_file.string() +
                " is readable by everyone; chmod o-rwx it");
  // 0640, as Debian's ssl-cert group shares /etc/ssl/private: accepted.
  std::filesystem::permissions(files.key_file, std::filesystem::perms::owner_read |
                                                   std::filesystem::perms::owner_write |
                                                   std::filesystem::perms::group_read);
  EXPECT_EQ(error_of(files.cert_file, files.key_file), "no error");
}

}  // namespace
}  // namespace jit::broker
