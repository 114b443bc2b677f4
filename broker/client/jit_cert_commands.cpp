#include "broker/client/jit_cert_commands.hpp"

#include "broker/client/client_csr.hpp"
#include "broker/client/credential_files.hpp"
#include "broker/client/jit_request_view.hpp"
#include "broker/client/openssh_key_writer.hpp"
#include "broker/client/ssh_agent.hpp"
#include "ca/bytes.hpp"
#include "ca/private_key.hpp"
#include "ca/ssh_certificate.hpp"
#include "ca/x509_pem.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <cstdlib>
#include <ostream>

namespace jit::broker {
namespace {

namespace json = boost::json;

// A path as one shell word: as is when it holds only safe characters, else in single quotes.
std::string shell_word(const std::string& text) {
  bool plain = !text.empty();
  for (unsigned char c : text) {
    if (!(std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '-' || c == '+' || c == ',' ||
          c == ':' || c == '@' || c == '=')) {
      plain = false;
    }
  }
  if (plain) return text;
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::optional<std::filesystem::path> home_ssh_dir() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return std::nullopt;
  return std::filesystem::path(home) / ".ssh";
}

// The folder to write into, absolute and existing; nullopt after printing why not.
std::optional<std::filesystem::path> prepare_folder(std::filesystem::path dir, std::ostream& err) {
  std::error_code ec;
  dir = std::filesystem::absolute(dir, ec);
  if (ec || !ensure_private_folder(dir)) {
    err << "jit: cannot create the folder " << dir.string() << "\n";
    return std::nullopt;
  }
  return dir;
}

// The certificate text of a successful minting answer; nullopt after printing why not.
std::optional<std::string> minted_certificate(BrokerApi& api,
                                              const std::optional<ApiAnswer>& answer, int& code) {
  code = kJitError;
  if (!answer) return std::nullopt;
  if (!answer->ok()) {
    code = api.refused(*answer);
    return std::nullopt;
  }
  const auto* object = answer->object();
  std::string certificate = object ? text_field(*object, "certificate") : std::string();
  if (certificate.empty()) {
    code = api.unexpected("no certificate");
    return std::nullopt;
  }
  code = kJitOk;
  return certificate;
}

void add_to_agent(const SshCredentialPaths& paths, std::uint64_t valid_before, std::ostream& err) {
  const auto lifetime = agent_lifetime(valid_before, unix_now());
  if (!lifetime) {
    err << "jit: warning: the certificate has already expired; not added to ssh-agent\n";
    return;
  }
  err << std::flush;  // ssh-add writes to the same stderr
  const auto status = add_key_to_agent(paths.private_key, *lifetime);
  if (!status) {
    err << "jit: warning: cannot run ssh-add; use the ssh -i line above\n";
  } else if (*status != 0) {
    err << "jit: warning: ssh-add failed (exit " << *status << "); use the ssh -i line above\n";
  } else {
    err << "added to ssh-agent for " << lifetime->count()
        << " s: the agent drops key and certificate when the certificate expires\n";
  }
}

}  // namespace

int jit_ssh_cert(const JitGlobalOptions& global, const SshCertOptions& options, std::istream& in,
                 std::ostream& out, std::ostream& err) {
  BrokerApi api(effective_profile(global), in, err);
  if (!api.require_session()) return kJitUnauthenticated;
  if (!api.require_id("grt-", options.grant)) return kJitError;
  auto dir_choice = options.dir ? options.dir : home_ssh_dir();
  if (!dir_choice) {
    err << "jit: HOME is not set; give --dir\n";
    return kJitError;
  }
  const auto dir = prepare_folder(*dir_choice, err);
  if (!dir) return kJitError;

  // The key pair is made here; only the public half is sent.
  auto key = ca::generate_private_key(ca::KeyAlgorithm::ed25519);
  auto public_key = key ? ca::SshPublicKey::from_evp(key->get()) : key.error();
  if (public_key) public_key = public_key->with_comment("jit-" + options.grant);
  if (!public_key) {
    err << "jit: cannot make an Ed25519 key\n";
    return kJitError;
  }
  const auto answer = api.post_with_mfa("/v1/grants/" + options.grant + "/ssh-cert",
                                        json::object{{"public_key", public_key->line()}},
                                        MfaPolicy::if_asked, options.totp);
  int code = kJitError;
  const auto certificate_line = minted_certificate(api, answer, code);
  if (!certificate_line) return code;
  // What sshd and ssh-agent will read: it must certify our key, or the files would not pair.
  const auto certificate = ca::parse_ssh_certificate_line(*certificate_line);
  if (!certificate) return api.unexpected("the certificate does not parse");
  if (!(certificate->subject == *public_key)) return api.unexpected("certificate for another key");

  auto private_text = openssh_ed25519_private_key_text(key->get(), "jit-" + options.grant);
  if (!private_text) {
    err << "jit: cannot encode the private key\n";
    return kJitError;
  }
  const auto paths = ssh_credential_paths(*dir, options.grant);
  const auto written =
      write_ssh_credentials(paths, *private_text, public_key->line(), *certificate_line);
  ca::wipe(*private_text);
  if (!written) {
    err << "jit: cannot write the key and certificate into " << dir->string() << "\n";
    return kJitError;
  }
  if (certificate->principals.empty()) return api.unexpected("a certificate without principals");
  for (const auto& principal : certificate->principals) {
    out << "ssh -i " << shell_word(paths.private_key.string())
        << " -o CertificateFile=" << shell_word(paths.certificate.string()) << " " << principal
        << "@<host>\n";
  }
  out << std::flush;
  const auto valid_before = certificate->valid_before;
  err << "certificate serial " << certificate->serial << " valid until "
      << format_unix_time(
             static_cast<std::int64_t>(std::min<std::uint64_t>(valid_before, INT64_MAX)))
      << "; key and certificate in " << dir->string() << "\n";
  if (options.add_to_agent && ssh_agent_configured()) add_to_agent(paths, valid_before, err);
  return kJitOk;
}

int jit_x509_cert(const JitGlobalOptions& global, const X509CertOptions& options, std::istream& in,
                  std::ostream& out, std::ostream& err) {
  BrokerApi api(effective_profile(global), in, err);
  if (!api.require_session()) return kJitUnauthenticated;
  if (!api.require_id("grt-", options.grant)) return kJitError;
  if (api.profile().user.empty()) {
    err << "jit: the stored session names no user; run `jit login --user NAME`\n";
    return kJitUnauthenticated;
  }
  const auto dir = prepare_folder(options.dir.value_or(cli_config_dir() / "certs"), err);
  if (!dir) return kJitError;

  auto key = ca::generate_private_key(ca::KeyAlgorithm::ecdsa_p256);
  auto csr = key ? make_client_csr_pem(key->get(), api.profile().user) : key.error();
  if (!csr) {
    err << "jit: cannot make the key and certificate request\n";
    return kJitError;
  }
  const auto answer =
      api.post_with_mfa("/v1/grants/" + options.grant + "/x509-cert", json::object{{"csr", *csr}},
                        MfaPolicy::if_asked, options.totp);
  int code = kJitError;
  const auto certificate_pem = minted_certificate(api, answer, code);
  if (!certificate_pem) return code;
  const auto& minted = *answer->object();
  const std::string chain_pem = text_field(minted, "chain");
  if (chain_pem.empty()) return api.unexpected("no chain");
  // The certificate must carry our key, or it is useless with the key written beside it.
  const auto der = ca::decode_single_pem(*certificate_pem, {"CERTIFICATE"});
  if (!der) return api.unexpected("the certificate is not one PEM certificate");
  const unsigned char* cursor = ca::as_uchars(*der);
  ca::X509Ptr parsed(d2i_X509(nullptr, &cursor, static_cast<long>(der->size())));
  ca::clear_openssl_errors();
  if (!parsed || EVP_PKEY_eq(X509_get0_pubkey(parsed.get()), key->get()) != 1)
    return api.unexpected("certificate for another key");

  auto key_pem = ca::private_key_to_pem(key->get(), std::nullopt);
  if (!key_pem) {
    err << "jit: cannot encode the private key\n";
    return kJitError;
  }
  const auto paths = x509_credential_paths(*dir, options.grant);
  const auto written = write_x509_credentials(paths, *key_pem, *certificate_pem, chain_pem);
  ca::wipe(*key_pem);
  if (!written) {
    err << "jit: cannot write the key and certificate into " << dir->string() << "\n";
    return kJitError;
  }
  out << "certificate: " << paths.certificate.string() << "\n"
      << "key:         " << paths.private_key.string() << "\n"
      << "chain:       " << paths.chain.string() << "\n";
  if (const auto not_after = int_field(minted, "not_after")) {
    out << "not_after:   " << format_unix_time(*not_after) << " ("
        << relative_time(*not_after, unix_now()) << ")\n";
  }
  return kJitOk;
}

}  // namespace jit::broker
