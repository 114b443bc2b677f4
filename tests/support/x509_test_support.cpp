#include "tests/support/x509_test_support.hpp"

#include "ca/x509_client_certificate.hpp"

#include <fcntl.h>
#include <openssl/pem.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace jit::testing {

using namespace jit::ca;  // the certificate types these helpers make and read
namespace {

struct X509StackFree {
  void operator()(STACK_OF(X509) * stack) const noexcept { sk_X509_free(stack); }
};
struct CrlStackFree {
  void operator()(STACK_OF(X509_CRL) * stack) const noexcept { sk_X509_CRL_free(stack); }
};
struct ExtensionStackFree {
  void operator()(STACK_OF(X509_EXTENSION) * stack) const noexcept {
    sk_X509_EXTENSION_pop_free(stack, X509_EXTENSION_free);
  }
};

void require(bool ok, const char* what) {
  if (!ok)
    throw std::runtime_error(std::string("test setup failed: ") + what + ": " +
                             drain_openssl_errors());
}

}  // namespace

Bytes make_csr_der(EVP_PKEY* key, const CsrOptions& options) {
  X509ReqPtr request(X509_REQ_new());
  X509NamePtr name(X509_NAME_new());
  require(request && name, "X509_REQ_new");
  require(X509_NAME_add_entry_by_txt(
              name.get(), "CN", MBSTRING_UTF8,
              reinterpret_cast<const unsigned char*>(options.subject_common_name.c_str()), -1, -1,
              0) == 1,
          "CN");
  require(X509_REQ_set_version(request.get(), X509_REQ_VERSION_1) == 1 &&
              X509_REQ_set_subject_name(request.get(), name.get()) == 1 &&
              X509_REQ_set_pubkey(request.get(), key) == 1,
          "CSR fields");
  if (!options.extensions.empty()) {
    std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionStackFree> extensions(
        sk_X509_EXTENSION_new_null());
    X509V3_CTX context;
    X509V3_set_ctx(&context, nullptr, nullptr, request.get(), nullptr, 0);
    for (const auto& [nid, value] : options.extensions) {
      X509_EXTENSION* extension = X509V3_EXT_nconf_nid(nullptr, &context, nid, value.c_str());
      require(extension != nullptr, "extension");
      sk_X509_EXTENSION_push(extensions.get(), extension);  // the stack owns it now
    }
    require(X509_REQ_add_extensions(request.get(), extensions.get()) == 1, "add extensions");
  }
  require(X509_REQ_sign(request.get(), key, options.md) > 0, "X509_REQ_sign");
  const int length = i2d_X509_REQ(request.get(), nullptr);
  Bytes der(static_cast<std::size_t>(length));
  auto* cursor = reinterpret_cast<unsigned char*>(der.data());
  require(i2d_X509_REQ(request.get(), &cursor) == length, "i2d_X509_REQ");
  return der;
}

std::string make_csr_pem(EVP_PKEY* key, const CsrOptions& options) {
  const Bytes der = make_csr_der(key, options);
  const std::string body = base64_encode(der);
  std::string pem = "-----BEGIN CERTIFICATE REQUEST-----\n";
  for (std::size_t at = 0; at < body.size(); at += 64) pem += body.substr(at, 64) + "\n";
  return pem + "-----END CERTIFICATE REQUEST-----\n";
}

EvpPkeyPtr generate(KeyAlgorithm algorithm) {
  auto key = generate_private_key(algorithm);
  require(key.has_value(), "generate key");
  return std::move(*key);
}

X509Ptr parse_certificate(ByteView der) {
  const unsigned char* cursor = as_uchars(der);
  X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  require(certificate != nullptr && cursor == as_uchars(der) + der.size(), "d2i_X509");
  return certificate;
}

X509Ptr parse_certificate_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  require(certificate != nullptr, "PEM_read_bio_X509");
  return certificate;
}

X509CrlPtr parse_crl(ByteView der) {
  const unsigned char* cursor = as_uchars(der);
  X509CrlPtr crl(d2i_X509_CRL(nullptr, &cursor, static_cast<long>(der.size())));
  require(crl != nullptr && cursor == as_uchars(der) + der.size(), "d2i_X509_CRL");
  return crl;
}

std::string name_entry(const X509_NAME* name, int nid) {
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return "";
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, value);
  require(length >= 0, "ASN1_STRING_to_UTF8");
  std::string text(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return text;
}

int verify_with_openssl(const X509* leaf, const X509* intermediate, const X509* root,
                        const std::vector<const X509_CRL*>& crls, Clock::time_point at) {
  X509StorePtr store(X509_STORE_new());
  X509StoreCtxPtr context(X509_STORE_CTX_new());
  std::unique_ptr<STACK_OF(X509), X509StackFree> untrusted(sk_X509_new_null());
  std::unique_ptr<STACK_OF(X509_CRL), CrlStackFree> crl_stack(sk_X509_CRL_new_null());
  require(store && context && untrusted && crl_stack, "store");
  // The stacks and the store up-ref or borrow; the objects stay owned by the caller.
  require(X509_STORE_add_cert(store.get(), const_cast<X509*>(root)) == 1, "add root");
  if (intermediate != nullptr) sk_X509_push(untrusted.get(), const_cast<X509*>(intermediate));
  for (const X509_CRL* crl : crls) sk_X509_CRL_push(crl_stack.get(), const_cast<X509_CRL*>(crl));
  require(X509_STORE_CTX_init(context.get(), store.get(), const_cast<X509*>(leaf),
                              untrusted.get()) == 1,
          "ctx init");
  X509_STORE_CTX_set0_crls(context.get(), crl_stack.get());
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context.get());
  X509_VERIFY_PARAM_set_time(param, Clock::to_time_t(at));
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_CLIENT);
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  if (!crls.empty())
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  const int ok = X509_verify_cert(context.get());
  const int error = X509_STORE_CTX_get_error(context.get());
  ERR_clear_error();
  return ok == 1 ? X509_V_OK : (error == X509_V_OK ? -1 : error);
}

X509Ptr issue_test_server_certificate(const X509CertificateAuthority& ca, EVP_PKEY* key,
                                      Clock::time_point now) {
  X509Ptr certificate(X509_new());
  X509NamePtr name(X509_NAME_new());
  auto serial = random_serial();
  BignumPtr serial_number(
      BN_bin2bn(as_uchars(serial->bytes()), static_cast<int>(serial->bytes().size()), nullptr));
  require(certificate && name && serial_number, "server certificate");
  X509* x = certificate.get();
  require(X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                                     0) == 1 &&
              X509_set_version(x, X509_VERSION_3) == 1 &&
              BN_to_ASN1_INTEGER(serial_number.get(), X509_get_serialNumber(x)) != nullptr &&
              X509_set_subject_name(x, name.get()) == 1 &&
              X509_set_issuer_name(x, X509_get_subject_name(ca.certificate())) == 1 &&
              ASN1_TIME_set(X509_getm_notBefore(x), Clock::to_time_t(now) - 60) != nullptr &&
              ASN1_TIME_set(X509_getm_notAfter(x), Clock::to_time_t(now) + 3600) != nullptr &&
              X509_set_pubkey(x, key) == 1,
          "server certificate fields");
  X509V3_CTX context;
  X509V3_set_ctx(&context, const_cast<X509*>(ca.certificate()), x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                            std::pair{NID_key_usage, "critical,digitalSignature"},
                            std::pair{NID_ext_key_usage, "serverAuth"},
                            std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                            std::pair{NID_subject_key_identifier, "hash"},
                            std::pair{NID_authority_key_identifier, "keyid:always"}}) {
    X509ExtensionPtr extension(X509V3_EXT_nconf_nid(nullptr, &context, nid, value));
    require(extension && X509_add_ext(x, extension.get(), -1) == 1, "server extension");
  }
  const EVP_MD* md = ca.key_algorithm() == KeyAlgorithm::ed25519 ? nullptr : EVP_sha256();
  require(X509_sign(x, ca.signing_key(), md) > 0, "server sign");
  return certificate;
}

std::string certificate_pem(const X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  require(bio && PEM_write_bio_X509(bio.get(), certificate) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

ClientFiles issue_client_files(const X509CertificateAuthority& ca, const std::filesystem::path& dir,
                               const std::string& name, Clock::time_point now,
                               Clock::time_point not_after) {
  EvpPkeyPtr key = generate(KeyAlgorithm::ecdsa_p256);
  auto serial = random_serial();
  X509ClientProfile profile;
  profile.common_name = "alice";
  profile.organizational_unit = "prod-db-read";
  profile.san_uri = "spiffe://corp.example/user/alice/role/prod-db-read";
  profile.crl_distribution_url = "http://127.0.0.1/v1/ca/x509/crl";
  auto issued = issue_client_certificate_from_csr(ca, make_csr_pem(key.get()), profile, *serial,
                                                  now - std::chrono::seconds(60), not_after);
  require(issued.has_value(), "issue client certificate");
  ClientFiles files{dir / (name + ".pem"), dir / (name + ".key"), issued->serial_hex};
  write_text(files.certificate, issued->pem);
  auto key_pem = private_key_to_pem(key.get(), std::nullopt);
  require(key_pem.has_value(), "key PEM");
  write_text(files.key, *key_pem);
  return files;
}

CommandResult run_command(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  require(::pipe2(pipe_fds, O_CLOEXEC) == 0, "pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  CommandResult result;
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    return result;
  }
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    result.output.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace jit::testing
