// TLS client certificates (docs/protocols.md 6.1) issued from a verified CSR. Everything but
// the public key comes from the caller's profile, which the broker fills from policy: CN = user,
// OU = role, SAN URI from the role's template, SAN email when the user has one.
//
// Extensions, in this order: basicConstraints CA:FALSE (critical), keyUsage digitalSignature
// (critical), extendedKeyUsage clientAuth, subjectKeyIdentifier (SHA-1 of the key),
// authorityKeyIdentifier (keyIdentifier = the issuer's), subjectAltName (when a URI or email is
// given), cRLDistributionPoints (when a URL is given).
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"
#include "ca/csr_parser.hpp"
#include "ca/x509_certificate_authority.hpp"
#include "ca/x509_serial.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace jit::ca {

struct X509ClientProfile {
  std::string common_name;          // the user: UTF-8, 1..64 characters, no control characters
  std::string organizational_unit;  // the role: same rules
  // Already expanded by the caller, e.g. "spiffe://corp.example/user/alice/role/prod-db-read":
  // printable ASCII without spaces, with a scheme, at most 2048 bytes. Empty: no URI in the SAN.
  std::string san_uri;
  std::optional<std::string> san_email;  // "local@domain", printable ASCII, at most 254 bytes
  std::string crl_distribution_url;      // e.g. "http://127.0.0.1:8443/v1/ca/x509/crl"; empty: none
  // Authority Information Access, id-ad-ocsp; e.g. "https://jit.example/v1/ca/x509/ocsp". Empty:
  // no AIA extension. Same rules as the CRL URL.
  std::string ocsp_url;
};

struct IssuedX509Certificate {
  std::string pem;
  Bytes der;
  std::string serial_hex;                            // X509Serial::hex()
  std::chrono::system_clock::time_point not_before;  // as written: whole seconds
  std::chrono::system_clock::time_point not_after;   // as written: whole seconds, <= the one asked
  std::string sha256_fingerprint;                    // lowercase hex of SHA-256 over der
};

// Writes the validity window it is given (approvals/grant_rules.hpp certificate_window decides
// it): notBefore = not_before, notAfter = not_after, both rounded down to the second.
// invalid_argument when a profile field breaks its rule, the window is empty or not_after is after
// the issuer's notAfter (a CA never signs past its own end). Thread-safe.
[[nodiscard]] Result<IssuedX509Certificate> issue_client_certificate(
    const X509CertificateAuthority& issuer, const VerifiedCsr& csr,
    const X509ClientProfile& profile, const X509Serial& serial,
    std::chrono::system_clock::time_point not_before,
    std::chrono::system_clock::time_point not_after);

// parse_and_verify_csr, then issue_client_certificate: the broker's x509-cert endpoint in one call.
[[nodiscard]] Result<IssuedX509Certificate> issue_client_certificate_from_csr(
    const X509CertificateAuthority& issuer, std::string_view csr_pem_or_der,
    const X509ClientProfile& profile, const X509Serial& serial,
    std::chrono::system_clock::time_point not_before,
    std::chrono::system_clock::time_point not_after);

// The profile rules, exposed for the broker's config validation (a role's OU or URI template can be
// checked at start-up): UTF-8 text of 1..max_characters without control characters.
[[nodiscard]] bool valid_name_text(std::string_view text, std::size_t max_characters);
// RFC 5280's upper bound for a common name or organizational unit name, in characters.
inline constexpr std::size_t kMaxNameCharacters = 64;
[[nodiscard]] bool valid_uri(std::string_view uri);
[[nodiscard]] bool valid_email(std::string_view email);

}  // namespace jit::ca
