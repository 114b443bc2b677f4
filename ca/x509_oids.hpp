// DER encodings of the object identifiers and algorithm identifiers the X.509 code writes or
// accepts (RFC 5280, RFC 5480, RFC 8410, RFC 4055). `kOid*` hold an OID's content octets (what
// follows tag 06 and the length); `kAlg*` hold a whole AlgorithmIdentifier SEQUENCE.
#pragma once

#include "ca/bytes.hpp"

#include <string_view>

namespace jit::ca::x509_oid {

using namespace std::string_view_literals;

// Public key algorithms and curves.
inline constexpr std::string_view kEcPublicKey =
    "\x2A\x86\x48\xCE\x3D\x02\x01"sv;  // 1.2.840.10045.2.1
inline constexpr std::string_view kPrime256v1 = "\x2A\x86\x48\xCE\x3D\x03\x01\x07"sv;  // P-256
inline constexpr std::string_view kSecp384r1 = "\x2B\x81\x04\x00\x22"sv;               // P-384
inline constexpr std::string_view kEd25519 = "\x2B\x65\x70"sv;  // 1.3.101.112
inline constexpr std::string_view kRsaEncryption = "\x2A\x86\x48\x86\xF7\x0D\x01\x01\x01"sv;

// Signature algorithms.
inline constexpr std::string_view kEcdsaSha256 = "\x2A\x86\x48\xCE\x3D\x04\x03\x02"sv;
inline constexpr std::string_view kEcdsaSha384 = "\x2A\x86\x48\xCE\x3D\x04\x03\x03"sv;
inline constexpr std::string_view kEcdsaSha512 = "\x2A\x86\x48\xCE\x3D\x04\x03\x04"sv;
inline constexpr std::string_view kRsaSha256 = "\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0B"sv;
inline constexpr std::string_view kRsaSha384 = "\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0C"sv;
inline constexpr std::string_view kRsaSha512 = "\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0D"sv;

// Whole AlgorithmIdentifiers the CA signs with (ECDSA and EdDSA: no parameters; RSA: NULL).
inline constexpr std::string_view kAlgEcdsaSha256 =
    "\x30\x0A\x06\x08\x2A\x86\x48\xCE\x3D\x04\x03\x02"sv;
inline constexpr std::string_view kAlgEcdsaSha384 =
    "\x30\x0A\x06\x08\x2A\x86\x48\xCE\x3D\x04\x03\x03"sv;
inline constexpr std::string_view kAlgEcdsaSha512 =
    "\x30\x0A\x06\x08\x2A\x86\x48\xCE\x3D\x04\x03\x04"sv;
inline constexpr std::string_view kAlgEd25519 = "\x30\x05\x06\x03\x2B\x65\x70"sv;
inline constexpr std::string_view kAlgRsaSha256 =
    "\x30\x0D\x06\x09\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0B\x05\x00"sv;

// Name attributes.
inline constexpr std::string_view kCommonName = "\x55\x04\x03"sv;
inline constexpr std::string_view kOrganizationalUnit = "\x55\x04\x0B"sv;

// Extensions.
inline constexpr std::string_view kSubjectKeyIdentifier = "\x55\x1D\x0E"sv;
inline constexpr std::string_view kKeyUsage = "\x55\x1D\x0F"sv;
inline constexpr std::string_view kSubjectAltName = "\x55\x1D\x11"sv;
inline constexpr std::string_view kBasicConstraints = "\x55\x1D\x13"sv;
inline constexpr std::string_view kCrlNumber = "\x55\x1D\x14"sv;
inline constexpr std::string_view kCrlReason = "\x55\x1D\x15"sv;
inline constexpr std::string_view kCrlDistributionPoints = "\x55\x1D\x1F"sv;
inline constexpr std::string_view kAuthorityKeyIdentifier = "\x55\x1D\x23"sv;
inline constexpr std::string_view kExtendedKeyUsage = "\x55\x1D\x25"sv;
inline constexpr std::string_view kClientAuth =
    "\x2B\x06\x01\x05\x05\x07\x03\x02"sv;  // id-kp-clientAuth
inline constexpr std::string_view kAuthorityInfoAccess =
    "\x2B\x06\x01\x05\x05\x07\x01\x01"sv;  // id-pe-authorityInfoAccess
inline constexpr std::string_view kAccessMethodOcsp =
    "\x2B\x06\x01\x05\x05\x07\x30\x01"sv;  // id-ad-ocsp

inline ByteView bytes(std::string_view encoded) noexcept { return as_bytes(encoded); }

}  // namespace jit::ca::x509_oid
