// PKCS#10 requests from hostile bytes (ca/csr_parser), as PEM or DER. What the parser accepts must
// be usable as the certificate's key: the SubjectPublicKeyInfo it returns parses with OpenSSL,
// re-encodes to the same DER (it is copied into the certificate as is), and has the algorithm the
// parser reported, with a 20-byte key identifier.
#include "ca/csr_parser.hpp"
#include "ca/openssl_handles.hpp"
#include "support/fuzz_check.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace {

using jit::fuzz::require;

int openssl_type_of(jit::ca::KeyAlgorithm algorithm) {
  switch (algorithm) {
    case jit::ca::KeyAlgorithm::ed25519:
      return EVP_PKEY_ED25519;
    case jit::ca::KeyAlgorithm::rsa:
      return EVP_PKEY_RSA;
    default:
      return EVP_PKEY_EC;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto csr = jit::ca::parse_and_verify_csr(input);
  if (!csr) return 0;
  const auto& spki = csr->subject_public_key_info;
  const auto* cursor = reinterpret_cast<const unsigned char*>(spki.data());
  jit::ca::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(spki.size())));
  require(key != nullptr, "an accepted CSR's SubjectPublicKeyInfo does not parse");
  require(cursor == reinterpret_cast<const unsigned char*>(spki.data()) + spki.size(),
          "an accepted CSR's SubjectPublicKeyInfo has trailing bytes");
  const int length = i2d_PUBKEY(key.get(), nullptr);
  require(length > 0, "an accepted CSR's key does not encode");
  std::vector<unsigned char> der(static_cast<std::size_t>(length));
  unsigned char* out = der.data();
  require(i2d_PUBKEY(key.get(), &out) == length, "an accepted CSR's key does not encode");
  require(std::equal(der.begin(), der.end(), reinterpret_cast<const unsigned char*>(spki.data()),
                     reinterpret_cast<const unsigned char*>(spki.data()) + spki.size()),
          "an accepted CSR's SubjectPublicKeyInfo is not in its DER encoding");
  require(EVP_PKEY_get_base_id(key.get()) == openssl_type_of(csr->key_algorithm),
          "an accepted CSR's key is not of the algorithm the parser reports");
  require(csr->subject_key_identifier.size() == 20, "a subject key identifier is not 20 bytes");
  return 0;
}
