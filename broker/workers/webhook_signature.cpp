#include "broker/workers/webhook_signature.hpp"

#include "ca/bytes.hpp"

#include <openssl/core_names.h>

#include <array>
#include <span>
#include <stdexcept>

namespace jit::broker {

HmacSha256::HmacSha256(std::string_view key)
    : mac_(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr)) {
  if (!mac_) throw std::runtime_error("HMAC is not available");
  key_ctx_.reset(EVP_MAC_CTX_new(mac_.get()));
  if (!key_ctx_) throw std::runtime_error("cannot make an HMAC context");
  char digest[] = "SHA256";
  const std::array<OSSL_PARAM, 2> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(key_ctx_.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params.data()) != 1) {
    throw std::runtime_error("cannot key HMAC-SHA256");
  }
}

std::string HmacSha256::hex(std::initializer_list<std::string_view> parts) const {
  // EVP_MAC_init with a null key restarts a keyed context; a copy keeps this one reusable from
  // several threads.
  ca::EvpMacCtxPtr ctx(EVP_MAC_CTX_dup(key_ctx_.get()));
  if (!ctx) throw std::runtime_error("cannot copy an HMAC context");
  for (const auto part : parts) {
    if (EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()),
                       part.size()) != 1) {
      throw std::runtime_error("HMAC-SHA256 failed");
    }
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  std::size_t length = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &length, out.size()) != 1) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return ca::hex_encode(std::as_bytes(std::span(out.data(), length)));
}

std::string webhook_signature(const HmacSha256& secret, std::int64_t timestamp,
                              std::string_view body) {
  const std::string stamp = std::to_string(timestamp);
  return "v1=" + secret.hex({stamp, ".", body});
}

}  // namespace jit::broker
