#include "support/ssh_key_lines.hpp"

#include "ca/private_key.hpp"
#include "ca/ssh_public_key.hpp"

#include <stdexcept>

namespace jit::bench {

std::string new_ssh_public_key_line() {
  auto key = ca::generate_private_key(ca::KeyAlgorithm::ed25519);
  if (!key) throw std::runtime_error("key generation failed");
  auto public_key = ca::SshPublicKey::from_evp(key->get());
  if (!public_key) throw std::runtime_error("public key conversion failed");
  return public_key->line();
}

}  // namespace jit::bench
