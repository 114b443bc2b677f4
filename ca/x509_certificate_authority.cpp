#include "ca/x509_certificate_authority.hpp"

#include "ca/x509_der.hpp"
#include "ca/x509_digest.hpp"
#include "ca/x509_oids.hpp"
#include "ca/x509_pem.hpp"

#include <algorithm>
#include <ctime>
#include <vector>

namespace jit::ca {
namespace {

template <typename T, typename Encoder>
Result<Bytes> encode_der(const T* object, Encoder encoder) {
  const int length = encoder(object, nullptr);
  if (length <= 0) return CaErrc::crypto_failure;
  Bytes out(static_cast<std::size_t>(length));
  auto* cursor = reinterpret_cast<unsigned char*>(out.data());
  if (encoder(object, &cursor) != length) return CaErrc::crypto_failure;
  return out;
}

struct SignatureChoice {
  std::string_view algorithm_der;
  const char* digest_name;  // null: the algorithm hashes internally (Ed25519)
};

SignatureChoice signature_for(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::ed25519:
      return {x509_oid::kAlgEd25519, nullptr};
    case KeyAlgorithm::ecdsa_p256:
      return {x509_oid::kAlgEcdsaSha256, "SHA256"};
    case KeyAlgorithm::ecdsa_p384:
      return {x509_oid::kAlgEcdsaSha384, "SHA384"};
    case KeyAlgorithm::ecdsa_p521:
      return {x509_oid::kAlgEcdsaSha512, "SHA512"};
    case KeyAlgorithm::rsa:
      return {x509_oid::kAlgRsaSha256, "SHA256"};
  }
  return {x509_oid::kAlgEcdsaSha256, "SHA256"};
}

}  // namespace

bool asn1_time_to_time_point(const ASN1_TIME* time, std::chrono::system_clock::time_point& out) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return false;
  const std::time_t seconds = timegm(&parts);
  out = std::chrono::system_clock::from_time_t(seconds);
  return true;
}

Result<Bytes> key_identifier_of(ByteView subject_public_key_bits) {
  return compute_digest(DigestKind::sha1, subject_public_key_bits);
}

Result<X509CertificateAuthority> X509CertificateAuthority::create(EvpPkeyPtr key,
                                                                  X509Ptr certificate) {
  return create_with(std::move(key), std::move(certificate), nullptr);
}

Result<X509CertificateAuthority> X509CertificateAuthority::create(
    std::shared_ptr<const KeySigner> signer, X509Ptr certificate) {
  if (!signer) return CaErrc::invalid_argument;
  auto* public_key = const_cast<EVP_PKEY*>(signer->public_key());
  if (public_key == nullptr || EVP_PKEY_up_ref(public_key) != 1) return CaErrc::invalid_argument;
  return create_with(EvpPkeyPtr(public_key), std::move(certificate), std::move(signer));
}

Result<X509CertificateAuthority> X509CertificateAuthority::create_with(
    EvpPkeyPtr key, X509Ptr certificate, std::shared_ptr<const KeySigner> signer) {
  if (!key || !certificate) return CaErrc::invalid_argument;
  auto algorithm = key_algorithm_of(key.get());
  if (!algorithm) return algorithm.error();
  X509* cert = certificate.get();
  clear_openssl_errors();
  const EVP_PKEY* certified_key = X509_get0_pubkey(cert);
  if (certified_key == nullptr || EVP_PKEY_eq(certified_key, key.get()) != 1) {
    clear_openssl_errors();
    return CaErrc::invalid_argument;
  }
  // Computes and caches the extension flags; EXFLAG_INVALID marks a certificate whose extensions do
  // not parse.
  const std::uint32_t flags = X509_get_extension_flags(cert);
  if ((flags & EXFLAG_INVALID) != 0 || (flags & EXFLAG_CA) == 0) return CaErrc::invalid_argument;
  if ((flags & EXFLAG_KUSAGE) != 0) {
    const std::uint32_t usage = X509_get_key_usage(cert);
    if ((usage & KU_KEY_CERT_SIGN) == 0 || (usage & KU_CRL_SIGN) == 0)
      return CaErrc::invalid_argument;
  }

  X509CertificateAuthority ca;
  if (!asn1_time_to_time_point(X509_get0_notBefore(cert), ca.not_before_) ||
      !asn1_time_to_time_point(X509_get0_notAfter(cert), ca.not_after_)) {
    return CaErrc::invalid_argument;
  }
  auto subject = encode_der(X509_get_subject_name(cert), i2d_X509_NAME);
  if (!subject) return subject.error();
  if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert); ski != nullptr) {
    const auto* data = reinterpret_cast<const std::byte*>(ASN1_STRING_get0_data(ski));
    ca.key_identifier_.assign(data, data + ASN1_STRING_length(ski));
  } else {
    const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(cert);
    if (bits == nullptr) return CaErrc::invalid_argument;
    auto computed =
        key_identifier_of(ByteView(reinterpret_cast<const std::byte*>(ASN1_STRING_get0_data(bits)),
                                   static_cast<std::size_t>(ASN1_STRING_length(bits))));
    if (!computed) return computed.error();
    ca.key_identifier_ = std::move(*computed);
  }
  if (ca.key_identifier_.empty()) return CaErrc::invalid_argument;
  auto der = encode_der(static_cast<const X509*>(cert), i2d_X509);
  if (!der) return der.error();

  const SignatureChoice signature = signature_for(*algorithm);
  EvpMdCtxPtr sign_template;
  if (!signer) {
    sign_template.reset(EVP_MD_CTX_new());
    if (!sign_template || EVP_DigestSignInit_ex(sign_template.get(), nullptr, signature.digest_name,
                                                nullptr, nullptr, key.get(), nullptr) != 1) {
      return CaErrc::crypto_failure;
    }
  }
  const int max_signature = EVP_PKEY_get_size(key.get());
  if (max_signature <= 0) return CaErrc::crypto_failure;

  ca.subject_der_ = std::move(*subject);
  ca.certificate_der_ = std::move(*der);
  ca.certificate_pem_ = encode_pem("CERTIFICATE", ca.certificate_der_);
  ca.signature_algorithm_ = as_bytes(signature.algorithm_der);
  ca.key_algorithm_ = *algorithm;
  ca.max_signature_size_ = static_cast<std::size_t>(max_signature);
  ca.sign_template_ = std::move(sign_template);
  ca.digest_name_ = signature.digest_name;
  ca.signer_ = std::move(signer);
  ca.key_ = std::move(key);
  ca.certificate_ = std::move(certificate);
  return ca;
}

Result<std::size_t> X509CertificateAuthority::sign(ByteView tbs,
                                                   std::span<unsigned char> signature) const {
  if (signer_) {
    auto made = signer_->sign(digest_name_, tbs);
    if (!made) return made.error();
    if (made->size() > signature.size()) return CaErrc::crypto_failure;
    std::copy(made->begin(), made->end(), reinterpret_cast<std::byte*>(signature.data()));
    return made->size();
  }
  clear_openssl_errors();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), sign_template_.get()) != 1)
    return CaErrc::crypto_failure;
  std::size_t length = signature.size();
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, as_uchars(tbs), tbs.size()) != 1) {
    return CaErrc::crypto_failure;
  }
  return length;
}

Result<Bytes> X509CertificateAuthority::sign_bytes(ByteView data) const {
  std::vector<unsigned char> signature(max_signature_size_);
  auto length = sign(data, signature);
  if (!length) return length.error();
  const auto* begin = reinterpret_cast<const std::byte*>(signature.data());
  return Bytes(begin, begin + *length);
}

Result<Bytes> X509CertificateAuthority::sign_structure(ByteView tbs) const {
  std::vector<unsigned char> signature(max_signature_size_);
  auto length = sign(tbs, signature);
  if (!length) return length.error();
  // The lengths are known now, so the header goes first and nothing is moved afterwards.
  const std::size_t bit_string = der_header_size(*length + 1) + *length + 1;
  const std::size_t content = tbs.size() + signature_algorithm_.size() + bit_string;
  DerWriter out;
  out.reserve(der_header_size(content) + content);
  out.header(der_tag::kSequence, content);
  out.raw(tbs);
  out.raw(signature_algorithm_);
  out.bit_string(ByteView(reinterpret_cast<const std::byte*>(signature.data()), *length));
  return out.take();
}

Result<Bytes> X509CertificateAuthority::sign_structure_in_place(Bytes buffer) const {
  if (buffer.size() < kSignHeadroom) return CaErrc::invalid_argument;
  const ByteView tbs = ByteView(buffer).subspan(kSignHeadroom);
  std::vector<unsigned char> signature(max_signature_size_);
  auto length = sign(tbs, signature);
  if (!length) return length.error();
  const std::size_t bit_string = der_header_size(*length + 1) + *length + 1;
  const std::size_t content = tbs.size() + signature_algorithm_.size() + bit_string;
  const std::size_t header = der_header_size(content);
  if (header > kSignHeadroom) return CaErrc::invalid_argument;  // over 4 GiB
  DerWriter tail;
  tail.raw(signature_algorithm_);
  tail.bit_string(ByteView(reinterpret_cast<const std::byte*>(signature.data()), *length));
  buffer.insert(buffer.end(), tail.view().begin(), tail.view().end());
  DerWriter head;
  head.header(der_tag::kSequence, content);
  const std::size_t start = kSignHeadroom - header;
  std::copy(head.view().begin(), head.view().end(),
            buffer.begin() + static_cast<std::ptrdiff_t>(start));
  // Drops the unused front bytes: a move within memory already touched, unlike a fresh copy.
  if (start > 0) buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(start));
  return buffer;
}

}  // namespace jit::ca
