#include "ca/ssh_certificate_authority.hpp"

#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>

namespace jit::ca {
namespace {

// Certificate nonces come from a per-thread buffer refilled 64 nonces at a time: each RAND_bytes
// call costs about 2 us here (OpenSSL 3.0 checks for a fork with a getpid() system call every
// time), which is 5% of an Ed25519 signature. After a fork every buffer is discarded, so a child
// never repeats nonces its parent has used.
std::atomic<unsigned> fork_generation{0};

void note_fork() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

bool fill_nonce(std::span<std::byte> nonce) {
  static const int registered = pthread_atfork(nullptr, nullptr, note_fork);
  (void)registered;
  constexpr std::size_t kBatch = 64 * kSshCertificateNonceBytes;
  struct Cache {
    std::array<std::byte, kBatch> bytes{};
    std::size_t used = kBatch;
    unsigned generation = 0;
  };
  thread_local Cache cache;
  const unsigned generation = fork_generation.load(std::memory_order_relaxed);
  if (cache.generation != generation || cache.used + nonce.size() > cache.bytes.size()) {
    if (RAND_bytes(as_uchars(std::span<std::byte>(cache.bytes)),
                   static_cast<int>(cache.bytes.size())) != 1) {
      return false;
    }
    cache.used = 0;
    cache.generation = generation;
  }
  std::copy_n(cache.bytes.begin() + static_cast<std::ptrdiff_t>(cache.used), nonce.size(),
              nonce.begin());
  cache.used += nonce.size();
  return true;
}

void write_option(ByteWriter& list, std::string_view name, std::string_view value) {
  ByteWriter data;
  data.string(value);
  list.string(name);
  list.string(data.bytes());
}

// Fields 1..13 of docs/protocols.md 2.2: everything the CA signature covers.
Bytes certificate_body(const SshPublicKey& subject, const SshCertificateProfile& profile,
                       ByteView nonce, const SshPublicKey& ca_key) {
  ByteWriter body;
  body.reserve(512 + subject.fields().size() + ca_key.blob().size());
  body.string(ssh_certificate_type_name(subject.type()));
  body.string(nonce);
  body.raw(subject.fields());
  body.u64(profile.serial);
  body.u32(kSshUserCertificate);
  body.string(profile.key_id);

  ByteWriter principals;
  for (const std::string& principal : profile.principals) principals.string(principal);
  body.string(principals.bytes());

  body.u64(static_cast<std::uint64_t>(profile.valid_after.time_since_epoch().count()));
  body.u64(static_cast<std::uint64_t>(profile.valid_before.time_since_epoch().count()));

  // "force-command" sorts before "source-address", the order ssh-keygen uses.
  ByteWriter options;
  if (profile.force_command) write_option(options, "force-command", *profile.force_command);
  if (!profile.source_addresses.empty()) {
    std::string joined;
    for (const std::string& address : profile.source_addresses) {
      if (!joined.empty()) joined += ',';
      joined += address;
    }
    write_option(options, "source-address", joined);
  }
  body.string(options.bytes());

  // Sorted by byte value (strcmp), so "permit-X11-forwarding" comes first as in ssh-keygen.
  std::vector<std::string_view> names(profile.extensions.begin(), profile.extensions.end());
  std::sort(names.begin(), names.end());
  ByteWriter extensions;
  for (std::string_view name : names) {
    extensions.string(name);
    extensions.string(ByteView{});
  }
  body.string(extensions.bytes());

  body.string(ByteView{});  // reserved
  body.string(ca_key.blob());
  return body.take();
}

}  // namespace

Result<SshCertificateAuthority> SshCertificateAuthority::create(std::vector<SshCaKey> keys) {
  if (keys.empty()) return CaErrc::invalid_argument;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t j = i + 1; j < keys.size(); ++j) {
      if (keys[i].public_key() == keys[j].public_key()) return CaErrc::invalid_argument;
    }
  }
  return SshCertificateAuthority(std::move(keys));
}

std::string SshCertificateAuthority::trusted_ca_keys_text() const {
  std::string text = "# jitbroker SSH user CA keys for sshd's TrustedUserCAKeys (newest first)\n";
  for (auto key = keys_.rbegin(); key != keys_.rend(); ++key) {
    text += key->public_key().type_name();
    text += ' ';
    text += base64_encode(key->public_key().blob());
    text += " jitbroker-ssh-ca ";
    text += key->public_key().fingerprint_sha256();
    text += '\n';
  }
  return text;
}

bool SshCertificateAuthority::is_trusted(const SshPublicKey& ca_key) const noexcept {
  return std::any_of(keys_.begin(), keys_.end(),
                     [&](const SshCaKey& key) { return key.public_key() == ca_key; });
}

Result<SshCertificate> SshCertificateAuthority::issue_user_certificate(
    const SshPublicKey& subject, const SshCertificateProfile& profile) const {
  if (auto valid = validate_ssh_certificate_profile(profile); !valid) return valid.error();
  const SshCaKey& ca = signing_key();
  Bytes nonce(kSshCertificateNonceBytes);
  clear_openssl_errors();
  if (!fill_nonce(nonce)) return CaErrc::crypto_failure;
  Bytes blob = certificate_body(subject, profile, nonce, ca.public_key());
  auto signature = ca.sign(blob);
  if (!signature) return signature.error();
  ByteWriter whole;
  whole.reserve(blob.size() + signature->size() + 4);
  whole.raw(blob);
  whole.string(*signature);

  std::string source_address;
  for (const std::string& address : profile.source_addresses) {
    if (!source_address.empty()) source_address += ',';
    source_address += address;
  }
  std::vector<std::string> extensions = profile.extensions;
  std::sort(extensions.begin(), extensions.end());
  return SshCertificate{
      .subject = subject,
      .nonce = std::move(nonce),
      .serial = profile.serial,
      .certificate_type = kSshUserCertificate,
      .key_id = profile.key_id,
      .principals = profile.principals,
      .valid_after = static_cast<std::uint64_t>(profile.valid_after.time_since_epoch().count()),
      .valid_before = static_cast<std::uint64_t>(profile.valid_before.time_since_epoch().count()),
      .force_command = profile.force_command,
      .source_address = profile.source_addresses.empty() ? std::nullopt
                                                         : std::optional(std::move(source_address)),
      .extensions = std::move(extensions),
      .ca_key = ca.public_key(),
      .signature_algorithm = std::string(ca.signature_algorithm()),
      .blob = whole.take()};
}

}  // namespace jit::ca
