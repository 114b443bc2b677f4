#include "ca/ssh_ca_key.hpp"

#include "ca/atomic_file.hpp"
#include "ca/openssh_private_key.hpp"
#include "ca/ssh_signature.hpp"

#include <system_error>

namespace jit::ca {

Result<SshCaKey> SshCaKey::from_private_key(EvpPkeyPtr key) {
  if (!key) return CaErrc::invalid_argument;
  auto public_key = SshPublicKey::from_evp(key.get());
  if (!public_key) return public_key.error();
  // A start-up self-test: the key must be a private key whose signatures its public half verifies.
  const ByteView probe = as_bytes("jitbroker SSH CA key self-test");
  auto signature = ssh_sign(key.get(), public_key->type(), probe);
  clear_openssl_errors();
  if (!signature || !ssh_verify(*public_key, probe, *signature)) return CaErrc::key_unavailable;
  return SshCaKey(std::move(key), std::move(*public_key));
}

Result<SshCaKey> SshCaKey::from_signer(std::shared_ptr<const KeySigner> signer) {
  if (!signer) return CaErrc::invalid_argument;
  auto public_key = SshPublicKey::from_evp(signer->public_key());
  if (!public_key) return public_key.error();
  SshCaKey key(nullptr, std::move(*public_key));
  key.signer_ = std::move(signer);
  const ByteView probe = as_bytes("jitbroker SSH CA key self-test");
  auto signature = key.sign(probe);
  if (!signature) return signature.error();
  if (!ssh_verify(key.public_key_, probe, *signature)) return CaErrc::key_unavailable;
  return key;
}

Result<SshCaKey> SshCaKey::generate(KeyAlgorithm algorithm) {
  auto key = generate_private_key(algorithm);
  if (!key) return key.error();
  return from_private_key(std::move(*key));
}

Result<SshCaKey> SshCaKey::parse(std::string_view text,
                                 std::optional<std::string_view> passphrase) {
  auto key = is_openssh_private_key(text) ? parse_openssh_private_key(text)
                                          : parse_private_key_pem(text, passphrase);
  if (!key) return key.error();
  return from_private_key(std::move(*key));
}

Result<SshCaKey> SshCaKey::load_file(const std::filesystem::path& path,
                                     std::optional<std::string_view> passphrase) {
  auto content = read_file(path, kMaxKeyFileBytes);
  if (!content) return content.error();
  auto key = parse(as_chars(*content), passphrase);
  wipe(*content);
  return key;
}

Result<SshCaKey> SshCaKey::load_or_generate_file(const std::filesystem::path& path,
                                                 std::optional<std::string_view> passphrase,
                                                 KeyAlgorithm algorithm) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return load_file(path, passphrase);
  if (ec) return CaErrc::key_unavailable;
  auto key = generate(algorithm);
  if (!key) return key.error();
  if (auto saved = save_private_key_file(path, key->private_key(), passphrase); !saved)
    return saved.error();
  return key;
}

std::string_view SshCaKey::signature_algorithm() const noexcept {
  return ssh_signature_algorithm(public_key_.type());
}

Result<Bytes> SshCaKey::sign(ByteView message) const {
  if (signer_) {
    auto raw = signer_->sign(ssh_signature_digest(public_key_.type()), message);
    if (!raw) return raw.error();
    return ssh_signature_blob(public_key_.type(), *raw);
  }
  return ssh_sign(key_.get(), public_key_.type(), message);
}

}  // namespace jit::ca
