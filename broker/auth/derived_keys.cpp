#include "broker/auth/derived_keys.hpp"

#include "approvals/digest.hpp"

#include <stdexcept>

namespace jit::broker {
namespace {

constexpr std::string_view kAuditChainLabel = "jit-broker audit chain hmac v1";
constexpr std::string_view kLoginNameLabel = "jit-broker unknown login name hmac v1";
constexpr std::string_view kPendingSsoLoginLabel = "jit-broker pending sso login aes-gcm v1";
constexpr std::size_t kNameTagBytes = 16;

ca::Bytes derive(ca::ByteView data_key, std::string_view label) {
  auto key = approvals::hkdf_sha256(data_key, label);
  if (!key) throw std::runtime_error("cannot derive a key from the data key");
  ca::Bytes out(key->begin(), key->end());
  ca::wipe(*key);
  return out;
}

}  // namespace

AuditChainKey audit_chain_key(ca::ByteView data_key) {
  return AuditChainKey(derive(data_key, kAuditChainLabel));
}

std::string unknown_login_name_tag(ca::ByteView data_key, std::string_view name) {
  auto key = derive(data_key, kLoginNameLabel);
  auto tag = approvals::hmac_sha256(key, ca::as_bytes(name));
  ca::wipe(key);
  if (!tag) throw std::runtime_error("cannot compute the login name tag");
  return ca::hex_encode(ca::ByteView(*tag).first(kNameTagBytes));
}

ca::Bytes pending_sso_login_key(ca::ByteView data_key) {
  return derive(data_key, kPendingSsoLoginLabel);
}

}  // namespace jit::broker
