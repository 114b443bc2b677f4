// What the CA key commands (`jit-broker ca init|rotate|retire`, docs/operations.md "CA rotation")
// read from and write to the broker's database: the certificates a key still vouches for, and the
// audit record of each change to the CA keys.
#pragma once

#include "config/broker_config.hpp"

#include <cstdint>
#include <string>

namespace jit::broker {

// What the audit record of a CA key change says (docs/api.md "Audit records"). Never a PIN or a
// passphrase: `location` is a key file path or a pkcs11: URI without its pin-value.
struct CaKeyChange {
  std::string action;       // "ca.init", "ca.rotate" or "ca.retire"
  std::string kind;         // "ssh" or "x509": the object is "ca/ssh" or "ca/x509"
  std::string fingerprint;  // SSH: "SHA256:..."; X.509: hex SHA-256 of the CA certificate
  std::string location;
};

// Appends the record to the audit chain (actor "admin", as the other admin commands) in one durable
// write. The commands write it before the change takes effect (before the key list or the public
// key file the broker reads is written), so no change to the CA keys goes unrecorded. Throws
// std::runtime_error when the record cannot be written.
void audit_ca_key_change(const config::BrokerConfig& config, const CaKeyChange& change);

struct UnexpiredCertificates {
  std::int64_t count = 0;
  std::int64_t last_not_after = 0;  // Unix seconds; 0 when count is 0
};

// Certificates of `kind` ("ssh" or "x509") signed by the CA key `fingerprint` (certificates.ca_key)
// that have not expired at `now` (Unix seconds), revoked or not.
[[nodiscard]] UnexpiredCertificates unexpired_certificates(const config::BrokerConfig& config,
                                                           const std::string& kind,
                                                           const std::string& fingerprint,
                                                           std::int64_t now);

}  // namespace jit::broker
