#include "ca/x509_digest.hpp"

#include "ca/openssl_handles.hpp"

#include <array>

namespace jit::ca {
namespace {

struct FetchedDigests {
  std::array<EvpMdPtr, 4> digests;
  FetchedDigests() {
    digests[0].reset(EVP_MD_fetch(nullptr, "SHA1", nullptr));
    digests[1].reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    digests[2].reset(EVP_MD_fetch(nullptr, "SHA384", nullptr));
    digests[3].reset(EVP_MD_fetch(nullptr, "SHA512", nullptr));
  }
};

}  // namespace

const EVP_MD* fetched_digest(DigestKind kind) noexcept {
  // Initialised once, thread-safely (C++ magic statics); freed before OpenSSL's own atexit cleanup,
  // which was registered earlier, by the first OpenSSL call.
  static const FetchedDigests fetched;
  return fetched.digests[static_cast<std::size_t>(kind)].get();
}

Result<Bytes> compute_digest(DigestKind kind, ByteView data) {
  const EVP_MD* md = fetched_digest(kind);
  if (md == nullptr) return CaErrc::crypto_failure;
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int length = 0;
  clear_openssl_errors();
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &length,
                 md, nullptr) != 1 ||
      length != out.size()) {
    return CaErrc::crypto_failure;
  }
  return out;
}

}  // namespace jit::ca
