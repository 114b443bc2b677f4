// A software WebAuthn authenticator for tests: real P-256 and Ed25519 keys from OpenSSL, real CBOR
// built with libcbor (independently of the parser under test), and switches to produce each kind of
// wrong answer a relying party must refuse. Failures throw std::runtime_error (test code only).
#pragma once

#include "approvals/time_point.hpp"
#include "approvals/webauthn_cose.hpp"
#include "approvals/webauthn_types.hpp"
#include "ca/bytes.hpp"
#include "ca/openssl_handles.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::testing {

ca::Bytes from_hex(std::string_view hex);
ca::Bytes bytes_of(std::string_view text);
ca::Bytes sha256_of(ca::ByteView data);

// clientDataJSON in the order browsers serialize it (docs/protocols.md 4.5).
ca::Bytes make_client_data(std::string_view type, ca::ByteView challenge, std::string_view origin,
                           bool cross_origin = false, std::string_view extra_members = "");

struct RegistrationOptions {
  std::string rp_id = "localhost";
  std::uint8_t flags = 0x45;  // UP | UV | AT
  std::uint32_t sign_count = 0;
  std::string fmt = "none";
  bool packed_x5c = false;                    // add an x5c chain to a packed statement
  std::optional<std::int64_t> cose_alg;       // write this alg label into the COSE key instead
  std::optional<std::int64_t> statement_alg;  // write this alg into a packed statement instead
  std::optional<ca::Bytes> credential_id;     // use this id instead of the authenticator's
  bool extra_none_member = false;             // a member in the "none" attStmt map
  ca::Bytes authenticator_data_suffix;        // bytes after the COSE key (extensions or junk)
};

struct AssertionOptions {
  std::string rp_id = "localhost";
  std::uint8_t flags = 0x05;  // UP | UV
  std::uint32_t sign_count = 1;
};

struct Assertion {
  ca::Bytes authenticator_data;
  ca::Bytes signature;
};

class SoftwareAuthenticator {
 public:
  static SoftwareAuthenticator es256(std::size_t credential_id_bytes = 32);
  static SoftwareAuthenticator eddsa(std::size_t credential_id_bytes = 32);

  [[nodiscard]] const ca::Bytes& credential_id() const { return credential_id_; }
  [[nodiscard]] approvals::CoseAlgorithm alg() const { return alg_; }
  [[nodiscard]] const EVP_PKEY* key() const { return key_.get(); }

  // The COSE_Key built with libcbor; `alg_label` replaces the alg value when given.
  [[nodiscard]] ca::Bytes cose_public_key(std::optional<std::int64_t> alg_label = {}) const;
  [[nodiscard]] ca::Bytes registration_authenticator_data(const RegistrationOptions& options) const;
  [[nodiscard]] ca::Bytes attestation_object(ca::ByteView client_data_json,
                                             const RegistrationOptions& options) const;
  [[nodiscard]] Assertion get_assertion(ca::ByteView client_data_json,
                                        const AssertionOptions& options) const;
  // DER ECDSA over SHA-256 for ES256, raw Ed25519 for EdDSA.
  [[nodiscard]] ca::Bytes sign(ca::ByteView message) const;

 private:
  SoftwareAuthenticator(approvals::CoseAlgorithm alg, ca::EvpPkeyPtr key, ca::Bytes credential_id);

  approvals::CoseAlgorithm alg_;
  ca::EvpPkeyPtr key_;
  ca::Bytes credential_id_;
};

// An authenticatorData for an assertion: rpIdHash || flags || counter, nothing else.
ca::Bytes assertion_authenticator_data(std::string_view rp_id, std::uint8_t flags,
                                       std::uint32_t sign_count);

// The relying party and the fixed clock every WebAuthn unit test runs against.
inline const approvals::WebAuthnSettings kTestRelyingParty{"localhost", "https://localhost:8443",
                                                           false};
inline const approvals::TimePoint kWebAuthnTestNow = approvals::from_unix_seconds(1700000000);

// One authenticator of each signature kind the broker accepts (ES256 and EdDSA).
std::vector<SoftwareAuthenticator> each_authenticator_kind();

}  // namespace jit::testing
