#include "broker/client/host_list_checks.hpp"

#include "ca/krl.hpp"
#include "ca/openssl_handles.hpp"
#include "ca/ssh_public_key.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <vector>

namespace jit::broker {
namespace {

// Every PEM block of `label`'s kind in `text`, read as nginx and `openssl verify` read the file
// (OpenSSL's PEM reader). nullopt when a block is there but does not parse.
template <typename Ptr, auto read>
std::optional<std::vector<Ptr>> read_pem_objects(std::string_view text) {
  std::vector<Ptr> objects;
  if (text.size() > INT_MAX) return std::nullopt;
  ca::clear_openssl_errors();
  ca::BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) return std::nullopt;
  for (;;) {
    Ptr object(read(bio.get(), nullptr, nullptr, nullptr));
    if (!object) break;
    objects.push_back(std::move(object));
  }
  // The loop ends at the end of the text (no start line) or at a block that does not parse.
  const auto reason = ERR_GET_REASON(ERR_peek_last_error());
  ca::clear_openssl_errors();
  if (reason != PEM_R_NO_START_LINE) return std::nullopt;
  return objects;
}

auto read_certificates(std::string_view text) {
  return read_pem_objects<ca::X509Ptr, PEM_read_bio_X509>(text);
}
auto read_crls(std::string_view text) {
  return read_pem_objects<ca::X509CrlPtr, PEM_read_bio_X509_CRL>(text);
}

// The CRL number extension (RFC 5280 5.2.3), or nullptr when absent.
ca::Asn1IntegerPtr crl_number(X509_CRL* crl) {
  auto* number =
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr));
  ca::clear_openssl_errors();
  return ca::Asn1IntegerPtr(number);
}

}  // namespace

std::string ssh_ca_keys_problem(std::string_view text) {
  std::size_t keys = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (!ca::SshPublicKey::parse_line(line)) return "a line is not an OpenSSH public key";
    ++keys;
  }
  return keys == 0 ? "it holds no key" : std::string();
}

std::string x509_chain_problem(std::string_view pem) {
  const auto certificates = read_certificates(pem);
  if (!certificates) return "a certificate does not parse";
  if (certificates->empty()) return "it holds no PEM certificate";
  for (const auto& certificate : *certificates) {
    const int is_ca = X509_check_ca(certificate.get());
    ca::clear_openssl_errors();
    if (is_ca == 0) return "a certificate in it is not a CA certificate";
  }
  return {};
}

std::string krl_problem(std::string_view krl, std::optional<std::string_view> installed) {
  const auto parsed = ca::parse_krl(ca::as_bytes(krl));
  if (!parsed) return "it is not an OpenSSH KRL that sshd can read";
  if (!installed) return {};
  const auto current = ca::parse_krl(ca::as_bytes(*installed));
  if (current && parsed->version < current->version) {
    return "its version " + std::to_string(parsed->version) + " is older than the installed " +
           std::to_string(current->version) + " (remove the file to accept an older list)";
  }
  return {};
}

std::string crl_bundle_problem(std::string_view pem, std::string_view chain_pem,
                               std::optional<std::string_view> installed) {
  const auto chain = read_certificates(chain_pem);
  if (!chain || chain->empty()) return "the CA file beside it holds no readable certificate";
  const auto crls = read_crls(pem);
  if (!crls) return "a CRL in it does not parse";
  if (crls->empty()) return "it holds no PEM CRL";
  std::vector<bool> covered(chain->size(), false);
  for (const auto& crl : *crls) {
    bool signed_by_chain = false;
    for (std::size_t i = 0; i < chain->size(); ++i) {
      X509* ca = (*chain)[i].get();
      if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca)) != 0) continue;
      EVP_PKEY* key = X509_get0_pubkey(ca);
      if (key != nullptr && X509_CRL_verify(crl.get(), key) == 1) {
        signed_by_chain = true;
        covered[i] = true;
      }
    }
    ca::clear_openssl_errors();
    if (!signed_by_chain) return "a CRL in it is not signed by a certificate of the CA file";
  }
  for (bool has_crl : covered) {
    if (!has_crl) return "a CA certificate of the CA file has no CRL in it";
  }
  if (!installed) return {};
  const auto current = read_crls(*installed);
  if (!current) return {};  // an unreadable file in place is replaced
  for (const auto& crl : *crls) {
    const auto number = crl_number(crl.get());
    for (const auto& old : *current) {
      if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_CRL_get_issuer(old.get())) != 0)
        continue;
      const auto old_number = crl_number(old.get());
      if (number && old_number && ASN1_INTEGER_cmp(number.get(), old_number.get()) < 0) {
        return "a CRL in it has a lower CRL number than the installed one (remove the file to "
               "accept an older list)";
      }
    }
  }
  return {};
}

}  // namespace jit::broker
