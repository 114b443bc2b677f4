// What the WebAuthn relying party is configured with, what it stores per credential, and what a
// browser sends back. Shared by registration, assertion, the ceremony layer and the `mfa` parser.
#pragma once

#include "approvals/time_point.hpp"
#include "approvals/webauthn_cose.hpp"
#include "ca/bytes.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace jit::approvals {

struct WebAuthnSettings {
  std::string rp_id = "localhost";                // config key; SHA-256 of it is the rpIdHash
  std::string origin = "https://localhost:8443";  // matched exactly against clientDataJSON.origin
  bool require_uv = false;                        // demand the UV flag, not only UP
};

enum class AttestationKind { none, self };

// A credential as the broker stores it after registration.
struct StoredCredential {
  ca::Bytes id;          // the credential id (1..1023 bytes)
  ca::Bytes public_key;  // canonical COSE_Key bytes (encode_cose_public_key)
  CoseAlgorithm alg = CoseAlgorithm::es256;
  std::uint32_t sign_count = 0;
  ca::Bytes user_handle;  // the user.id the broker sent at registration; may be empty
};

// The outcome of a successful registration: store id, public_key, alg and sign_count.
struct RegisteredCredential {
  ca::Bytes id;
  ca::Bytes public_key;  // canonical COSE_Key bytes
  CoseAlgorithm alg = CoseAlgorithm::es256;
  std::uint32_t sign_count = 0;
  std::array<std::byte, 16> aaguid{};
  std::uint8_t flags = 0;  // UP, UV, BE, BS... as registered
  AttestationKind attestation = AttestationKind::none;
  TimePoint registered_at{};
};

// An assertion as the browser returns it (PublicKeyCredential with an
// AuthenticatorAssertionResponse).
struct AssertionResponse {
  ca::Bytes credential_id;  // rawId
  ca::Bytes client_data_json;
  ca::Bytes authenticator_data;
  ca::Bytes signature;
  std::optional<ca::Bytes> user_handle;
};

// The outcome of a successful assertion: store new_sign_count on the credential.
struct AssertionEvidence {
  ca::Bytes credential_id;
  std::uint32_t new_sign_count = 0;
  std::uint8_t flags = 0;
  TimePoint verified_at{};
  ca::Bytes approval_nonce;  // approvals only: the server nonce the challenge was derived from
};

}  // namespace jit::approvals
