// Builds the KRL the broker publishes for sshd's RevokedKeys: certificate sections only, one per CA
// key, revoking by serial and by key id. Expired certificates are pruned (sshd refuses them
// anyway), so the list stays small with short-lived certificates. Every KRL built is parsed back
// with parse_krl and compared with what was asked for before it is returned.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"
#include "ca/ssh_public_key.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jit::ca {

// One revoked certificate. serial 0 means "by key id only"; an empty key_id means "by serial only".
struct KrlRevocation {
  std::uint64_t serial = 0;
  std::string key_id;
  std::uint64_t not_after = 0;  // the certificate's valid_before, seconds since the epoch
};

struct BuiltKrl {
  Bytes bytes;
  std::size_t revoked_serials = 0;  // distinct serials written
  std::size_t revoked_key_ids = 0;  // distinct key ids written
  std::size_t pruned = 0;  // serial and key-id revocations left out: their certificate has expired
};

class KrlBuilder {
 public:
  // invalid_argument when both serial and key_id are empty, or the key id is not printable ASCII of
  // at most 1024 bytes.
  [[nodiscard]] Result<void> add(const SshPublicKey& ca_key, const KrlRevocation& revocation);
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // Optional: room for this many serial revocations, to spare reallocation on large rebuilds.
  void reserve(std::size_t serials);

  // version: chosen by the caller, at least 1 and higher than the last published one
  // (write_krl_file checks that). now: generated_date, and entries with not_after <= now are
  // pruned. comment: printable ASCII. crypto_failure if the re-parsed output differs from the input
  // (an internal fault).
  [[nodiscard]] Result<BuiltKrl> build(std::uint64_t version, std::chrono::sys_seconds now,
                                       std::string_view comment = {}) const;

 private:
  struct Expiring {
    std::uint64_t serial;
    std::uint64_t not_after;
  };
  struct ExpiringKeyId {
    std::string key_id;
    std::uint64_t not_after;
  };
  // Per CA key. There are only a few CA keys, so a linear search beats a map keyed by blob.
  struct CaRevocations {
    Bytes ca_key_blob;
    std::vector<Expiring> serials;
    std::vector<ExpiringKeyId> key_ids;
  };
  CaRevocations& revocations_for(ByteView ca_key_blob);

  std::vector<CaRevocations> by_ca_;
  std::size_t last_ca_ = 0;
  std::size_t reserve_ = 0;
  std::size_t size_ = 0;
};

}  // namespace jit::ca
