#include "ca/x509_client_certificate.hpp"

#include "ca/x509_der.hpp"
#include "ca/x509_digest.hpp"
#include "ca/x509_oids.hpp"
#include "ca/x509_pem.hpp"

#include <algorithm>
#include <cstdint>

namespace jit::ca {
namespace {

using namespace std::string_view_literals;
using std::chrono::system_clock;

constexpr std::size_t kMaxUriBytes = 2048;
constexpr std::size_t kMaxEmailBytes = 254;

// Constant extensions, DER-encoded once here (docs/protocols.md 6.1 gives the same bytes).
// basicConstraints, critical, CA:FALSE (an empty SEQUENCE).
constexpr std::string_view kBasicConstraintsEndEntity =
    "\x30\x0C\x06\x03\x55\x1D\x13\x01\x01\xFF\x04\x02\x30\x00"sv;
// keyUsage, critical, digitalSignature (bit 0).
constexpr std::string_view kKeyUsageDigitalSignature =
    "\x30\x0E\x06\x03\x55\x1D\x0F\x01\x01\xFF\x04\x04\x03\x02\x07\x80"sv;
// extendedKeyUsage, id-kp-clientAuth.
constexpr std::string_view kExtendedKeyUsageClientAuth =
    "\x30\x13\x06\x03\x55\x1D\x25\x04\x0C\x30\x0A\x06\x08\x2B\x06\x01\x05\x05\x07\x03\x02"sv;

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

// Opens Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING { ... } }.
void open_extension(DerWriter& out, std::string_view oid) {
  out.open(der_tag::kSequence);
  out.element(der_tag::kOid, as_bytes(oid));
  out.open(der_tag::kOctetString);
}
void close_extension(DerWriter& out) {
  out.close();
  out.close();
}

void write_name_attribute(DerWriter& out, std::string_view oid, std::string_view value) {
  out.open(der_tag::kSet);
  out.open(der_tag::kSequence);
  out.element(der_tag::kOid, as_bytes(oid));
  out.element(der_tag::kUtf8String, as_bytes(value));
  out.close();
  out.close();
}

Result<void> check_profile(const X509ClientProfile& profile) {
  if (!valid_name_text(profile.common_name, kMaxNameCharacters) ||
      !valid_name_text(profile.organizational_unit, kMaxNameCharacters) ||
      (!profile.san_uri.empty() && !valid_uri(profile.san_uri)) ||
      (profile.san_email && !valid_email(*profile.san_email)) ||
      (!profile.crl_distribution_url.empty() && !valid_uri(profile.crl_distribution_url)) ||
      (!profile.ocsp_url.empty() && !valid_uri(profile.ocsp_url))) {
    return CaErrc::invalid_argument;
  }
  return {};
}

Bytes build_tbs(const X509CertificateAuthority& issuer, const VerifiedCsr& csr,
                const X509ClientProfile& profile, const X509Serial& serial,
                system_clock::time_point not_before, system_clock::time_point not_after) {
  DerWriter out;
  out.reserve(512 + issuer.subject_der().size() + csr.subject_public_key_info.size() +
              profile.san_uri.size() + profile.crl_distribution_url.size() +
              profile.ocsp_url.size());
  out.open(der_tag::kSequence);  // TBSCertificate
  out.open(der_tag::context(0, true));
  out.unsigned_integer(std::uint64_t{2});  // v3
  out.close();
  out.unsigned_integer(serial.bytes());
  out.raw(issuer.signature_algorithm());
  out.raw(issuer.subject_der());
  out.open(der_tag::kSequence);
  out.time(not_before);
  out.time(not_after);
  out.close();
  out.open(der_tag::kSequence);  // subject: OU, then CN (RFC 4514 prints "CN=...,OU=...")
  write_name_attribute(out, x509_oid::kOrganizationalUnit, profile.organizational_unit);
  write_name_attribute(out, x509_oid::kCommonName, profile.common_name);
  out.close();
  out.raw(csr.subject_public_key_info);

  out.open(der_tag::context(3, true));
  out.open(der_tag::kSequence);
  out.raw(as_bytes(kBasicConstraintsEndEntity));
  out.raw(as_bytes(kKeyUsageDigitalSignature));
  out.raw(as_bytes(kExtendedKeyUsageClientAuth));
  open_extension(out, x509_oid::kSubjectKeyIdentifier);
  out.element(der_tag::kOctetString, csr.subject_key_identifier);
  close_extension(out);
  open_extension(out, x509_oid::kAuthorityKeyIdentifier);
  out.open(der_tag::kSequence);
  out.element(der_tag::context(0, false), issuer.key_identifier());  // keyIdentifier [0]
  out.close();
  close_extension(out);
  if (!profile.san_uri.empty() || profile.san_email) {
    open_extension(out, x509_oid::kSubjectAltName);
    out.open(der_tag::kSequence);
    if (!profile.san_uri.empty())
      out.element(der_tag::context(6, false), as_bytes(profile.san_uri));
    if (profile.san_email) out.element(der_tag::context(1, false), as_bytes(*profile.san_email));
    out.close();
    close_extension(out);
  }
  if (!profile.crl_distribution_url.empty()) {
    // SEQUENCE OF DistributionPoint { distributionPoint [0] { fullName [0] { URI [6] } } }
    open_extension(out, x509_oid::kCrlDistributionPoints);
    out.open(der_tag::kSequence);
    out.open(der_tag::kSequence);
    out.open(der_tag::context(0, true));
    out.open(der_tag::context(0, true));
    out.element(der_tag::context(6, false), as_bytes(profile.crl_distribution_url));
    out.close();
    out.close();
    out.close();
    out.close();
    close_extension(out);
  }
  if (!profile.ocsp_url.empty()) {
    // SEQUENCE OF AccessDescription { accessMethod id-ad-ocsp, accessLocation URI [6] }
    open_extension(out, x509_oid::kAuthorityInfoAccess);
    out.open(der_tag::kSequence);
    out.open(der_tag::kSequence);
    out.element(der_tag::kOid, as_bytes(x509_oid::kAccessMethodOcsp));
    out.element(der_tag::context(6, false), as_bytes(profile.ocsp_url));
    out.close();
    out.close();
    close_extension(out);
  }
  out.close();
  out.close();
  out.close();  // TBSCertificate
  return out.take();
}

}  // namespace

bool valid_name_text(std::string_view text, std::size_t max_characters) {
  std::size_t characters = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::uint32_t code = 0;
    std::size_t length = 0;
    if (lead < 0x80) {
      code = lead;
      length = 1;
    } else if ((lead & 0xE0) == 0xC0) {
      code = lead & 0x1FU;
      length = 2;
    } else if ((lead & 0xF0) == 0xE0) {
      code = lead & 0x0FU;
      length = 3;
    } else if ((lead & 0xF8) == 0xF0) {
      code = lead & 0x07U;
      length = 4;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3FU);
    }
    constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;  // overlong form, beyond Unicode, or a surrogate
    }
    if (code < 0x20 || (code >= 0x7F && code <= 0x9F)) return false;  // C0, DEL, C1 controls
    i += length;
    ++characters;
  }
  return characters >= 1 && characters <= max_characters;
}

bool valid_uri(std::string_view uri) {
  if (uri.empty() || uri.size() > kMaxUriBytes || !printable_ascii(uri)) return false;
  // RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ":" and something after it.
  const std::size_t colon = uri.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == uri.size()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(uri[0])) return false;
  return std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(colon), [&](char c) {
    return alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
  });
}

bool valid_email(std::string_view email) {
  if (email.empty() || email.size() > kMaxEmailBytes || !printable_ascii(email)) return false;
  const std::size_t at = email.find('@');
  return at != 0 && at != std::string_view::npos && at + 1 < email.size() &&
         email.find('@', at + 1) == std::string_view::npos;
}

Result<IssuedX509Certificate> issue_client_certificate(const X509CertificateAuthority& issuer,
                                                       const VerifiedCsr& csr,
                                                       const X509ClientProfile& profile,
                                                       const X509Serial& serial,
                                                       system_clock::time_point not_before,
                                                       system_clock::time_point not_after) {
  if (auto checked = check_profile(profile); !checked) return checked.error();
  const system_clock::time_point start = std::chrono::floor<std::chrono::seconds>(not_before);
  const system_clock::time_point end = std::chrono::floor<std::chrono::seconds>(not_after);
  if (end <= start || end > issuer.not_after() || !der_time_encodable(start) ||
      !der_time_encodable(end)) {
    return CaErrc::invalid_argument;
  }
  if (csr.subject_public_key_info.empty() || csr.subject_key_identifier.empty()) {
    return CaErrc::invalid_argument;
  }

  const Bytes tbs = build_tbs(issuer, csr, profile, serial, start, end);
  auto der = issuer.sign_structure(tbs);
  if (!der) return der.error();
  auto fingerprint = compute_digest(DigestKind::sha256, *der);
  if (!fingerprint) return fingerprint.error();

  IssuedX509Certificate issued;
  issued.pem = encode_pem("CERTIFICATE", *der);
  issued.der = std::move(*der);
  issued.serial_hex = serial.hex();
  issued.not_before = start;
  issued.not_after = end;
  issued.sha256_fingerprint = hex_encode(*fingerprint);
  return issued;
}

Result<IssuedX509Certificate> issue_client_certificate_from_csr(
    const X509CertificateAuthority& issuer, std::string_view csr_pem_or_der,
    const X509ClientProfile& profile, const X509Serial& serial, system_clock::time_point not_before,
    system_clock::time_point not_after) {
  auto csr = parse_and_verify_csr(csr_pem_or_der);
  if (!csr) return csr.error();
  return issue_client_certificate(issuer, *csr, profile, serial, not_before, not_after);
}

}  // namespace jit::ca
