// OpenSSH public keys and certificates from hostile bytes (ca/ssh_public_key, ca/ssh_certificate):
// each input goes to the four parsers, as a `.pub` / `-cert.pub` line and as a wire blob. What
// a parser accepts must survive a round trip: the line or blob written back parses to the same
// key or certificate, and a key converts to an OpenSSL key and back unchanged.
#include "ca/ssh_certificate.hpp"
#include "ca/ssh_public_key.hpp"
#include "support/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using jit::ca::SshCertificate;
using jit::ca::SshPublicKey;
using jit::fuzz::require;

void check_key(const SshPublicKey& key) {
  const auto again = SshPublicKey::parse_line(key.line());
  require(again.has_value() && *again == key && again->comment() == key.comment(),
          "a public key's line does not parse back to the same key");
  const auto from_blob = SshPublicKey::parse_blob(key.blob());
  require(from_blob.has_value() && *from_blob == key,
          "a public key's blob does not parse back to the same key");
  const auto evp = key.to_evp();
  require(evp.has_value(), "an accepted public key does not convert to an OpenSSL key");
  const auto back = SshPublicKey::from_evp(evp->get());
  require(back.has_value() && *back == key, "a public key changes through an OpenSSL key");
  (void)key.fingerprint_sha256();
}

void check_certificate(const SshCertificate& certificate) {
  const auto again = jit::ca::parse_ssh_certificate_line(certificate.line("comment"));
  require(again.has_value() && again->blob == certificate.blob,
          "a certificate's line does not parse back to the same certificate");
  check_key(certificate.subject);
  check_key(certificate.ca_key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const jit::ca::ByteView bytes(reinterpret_cast<const std::byte*>(data), size);
  if (auto key = SshPublicKey::parse_line(text)) check_key(*key);
  if (auto key = SshPublicKey::parse_blob(bytes)) check_key(*key);
  if (auto certificate = jit::ca::parse_ssh_certificate_line(text)) check_certificate(*certificate);
  if (auto certificate = jit::ca::parse_ssh_certificate_blob(bytes)) {
    check_certificate(*certificate);
  }
  return 0;
}
