// One X.509 certification authority: its private key and certificate, with everything the signing
// paths need precomputed once (subject DER, key identifier, signature AlgorithmIdentifier, a
// prepared signing context), so issuing a certificate or a CRL never re-parses the CA certificate.
// Immutable after create(); all const members are safe to call from several threads at once.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"
#include "ca/key_signer.hpp"
#include "ca/openssl_handles.hpp"
#include "ca/private_key.hpp"

#include <chrono>
#include <memory>
#include <span>
#include <string>

namespace jit::ca {

class X509CertificateAuthority {
 public:
  // invalid_argument unless the key is the certificate's key and the certificate is a CA
  // (basicConstraints CA:TRUE, and keyCertSign + cRLSign when it has a keyUsage);
  // unsupported_key for a key type we do not sign with (P-521 and RSA >= 3072 are accepted here).
  [[nodiscard]] static Result<X509CertificateAuthority> create(EvpPkeyPtr key, X509Ptr certificate);
  // The same for a key that signs elsewhere (a PKCS#11 token): certificates, CRLs and OCSP
  // responses are assembled here and only their to-be-signed bytes go to the signer.
  [[nodiscard]] static Result<X509CertificateAuthority> create(
      std::shared_ptr<const KeySigner> signer, X509Ptr certificate);

  X509CertificateAuthority(X509CertificateAuthority&&) noexcept = default;
  X509CertificateAuthority& operator=(X509CertificateAuthority&&) noexcept = default;

  [[nodiscard]] const X509* certificate() const noexcept { return certificate_.get(); }
  [[nodiscard]] ByteView certificate_der() const noexcept { return certificate_der_; }
  [[nodiscard]] const std::string& certificate_pem() const noexcept { return certificate_pem_; }
  // The DER Name this CA writes as the issuer of everything it signs.
  [[nodiscard]] ByteView subject_der() const noexcept { return subject_der_; }
  // The CA's subjectKeyIdentifier (or SHA-1 of its key when the certificate has none); the
  // keyIdentifier of the authorityKeyIdentifier in what it signs.
  [[nodiscard]] ByteView key_identifier() const noexcept { return key_identifier_; }
  // DER AlgorithmIdentifier of this CA's signatures (ECDSA with SHA-256/384/512 by curve,
  // Ed25519, or RSA PKCS#1 v1.5 with SHA-256).
  [[nodiscard]] ByteView signature_algorithm() const noexcept { return signature_algorithm_; }
  [[nodiscard]] KeyAlgorithm key_algorithm() const noexcept { return key_algorithm_; }
  [[nodiscard]] std::chrono::system_clock::time_point not_before() const noexcept {
    return not_before_;
  }
  [[nodiscard]] std::chrono::system_clock::time_point not_after() const noexcept {
    return not_after_;
  }

  // SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }: a signed certificate or CRL.
  // `tbs` must already name signature_algorithm() inside it.
  [[nodiscard]] Result<Bytes> sign_structure(ByteView tbs) const;
  // The same for a large TBS (a CRL) without copying it: `buffer` holds kSignHeadroom unused bytes
  // followed by the TBS; the result is built in the same allocation.
  static constexpr std::size_t kSignHeadroom = 6;  // tag + 0x84 + four length octets
  [[nodiscard]] Result<Bytes> sign_structure_in_place(Bytes buffer) const;

  // For OpenSSL calls that sign with the CA themselves (OCSP_basic_sign). Never serialised. Null
  // for a key on a token (signer() signs then).
  [[nodiscard]] EVP_PKEY* signing_key() const noexcept { return signer_ ? nullptr : key_.get(); }
  [[nodiscard]] const KeySigner* signer() const noexcept { return signer_.get(); }
  // A signature over `data` as EVP_DigestSign makes it, with this CA's signature algorithm.
  [[nodiscard]] Result<Bytes> sign_bytes(ByteView data) const;

 private:
  X509CertificateAuthority() = default;
  [[nodiscard]] static Result<X509CertificateAuthority> create_with(
      EvpPkeyPtr key, X509Ptr certificate, std::shared_ptr<const KeySigner> signer);

  EvpPkeyPtr key_;  // the private key, or only the public one when signer_ signs
  std::shared_ptr<const KeySigner> signer_;
  const char* digest_name_ = nullptr;
  X509Ptr certificate_;
  Bytes certificate_der_;
  std::string certificate_pem_;
  Bytes subject_der_;
  Bytes key_identifier_;
  ByteView signature_algorithm_;
  KeyAlgorithm key_algorithm_ = KeyAlgorithm::ecdsa_p256;
  std::chrono::system_clock::time_point not_before_;
  std::chrono::system_clock::time_point not_after_;
  [[nodiscard]] Result<std::size_t> sign(ByteView tbs, std::span<unsigned char> signature) const;

  std::size_t max_signature_size_ = 0;
  // Initialised once with EVP_DigestSignInit and only ever copied (EVP_MD_CTX_copy_ex reads it),
  // which skips OpenSSL 3.0's per-call algorithm fetch; copies from several threads are
  // independent.
  EvpMdCtxPtr sign_template_;
};

// Seconds since the epoch of an ASN1_TIME; false when it does not parse.
[[nodiscard]] bool asn1_time_to_time_point(const ASN1_TIME* time,
                                           std::chrono::system_clock::time_point& out);

// SHA-1 of a certificate's subjectPublicKey bits (RFC 5280 4.2.1.2 method 1), as OpenSSL's
// "subjectKeyIdentifier=hash" computes it.
[[nodiscard]] Result<Bytes> key_identifier_of(ByteView subject_public_key_bits);

}  // namespace jit::ca
