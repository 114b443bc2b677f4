// Publishes the revocation lists the broker serves: the OpenSSH KRL (GET /v1/ca/ssh/krl) and the
// X.509 CRLs of the issuing CA, of each previous issuing CA still held after a rotation, and, when
// its key is online, the root (GET /v1/ca/x509/crl). Each
// rebuild produces an immutable snapshot that handlers share without copying or locking for long;
// lists are rebuilt when the set of revoked, unexpired certificates changed or when the CRL nears
// its nextUpdate, never per request. A revocation committed by any process (this broker's API or
// sweeper, `jit-broker user lock` beside it, another broker on the same database) bumps the
// revocation generation in its own transaction; the publisher polls that one row every
// poll_interval and rebuilds when it moved, so every revocation is served within a second. On
// PostgreSQL the bump also notifies, and RevocationListener (revocation_listener.hpp) calls
// check_generation() as soon as the notification arrives; the poll is then the safety net.
#pragma once

#include "broker/broker_error.hpp"
#include "broker/service/revocation_lists.hpp"
#include "broker/store/store.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_hierarchy.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace jit::broker {

struct RevocationSettings {
  std::chrono::seconds crl_next_update{300};  // config ca.crl_next_update; at least 2 s
  std::chrono::seconds clock_skew{30};        // config ca.clock_skew: thisUpdate lies this far back
  // How often the revocation generation is read; a revocation made elsewhere is served at most
  // this long (plus one rebuild) after its commit, or sooner when a listener wakes the publisher.
  std::chrono::milliseconds poll_interval{250};
};

// The KRL as published. Never changes once built; a rebuild makes a new one.
struct PublishedKrl {
  std::uint64_t version = 0;
  std::string bytes;  // the binary KRL
  std::string etag;   // strong ETag, quoted
  std::size_t revoked = 0;
};

// The CRLs as published, all signed at one time with one cRLNumber. Never changes once built.
struct PublishedCrls {
  std::uint64_t number = 0;
  std::string der;  // the issuing CA's CRL
  std::string der_etag;
  std::string pem;
  std::string pem_etag;
  // The CRL of each previous issuing CA (after a rotation, docs/operations.md "CA rotation"),
  // newest first, PEM one after the other: their certificates revoked and not yet expired.
  std::string previous_pem;
  std::string root_pem;  // the root's CRL (no entries); empty when the root key is offline
  // pem, previous_pem then root_pem: what nginx ssl_crl and openssl verify -crl_check_all need for
  // every chain the published CA certificates make.
  std::string bundle_pem;
  std::string bundle_etag;
  // Each issuing CA's own DER CRL, the signing CA's first, named by the SHA-256 fingerprint of
  // its certificate: GET /v1/ca/x509/crl?issuer=FP. Certificates name their issuer's list in
  // their CRL distribution point, so one signed before a rotation finds its CRL after it.
  struct IssuerCrl {
    std::string fingerprint;
    std::string der;
    std::string etag;
  };
  std::vector<IssuerCrl> by_issuer;
  std::size_t revoked = 0;       // entries of all the issuing CAs' CRLs
  std::int64_t this_update = 0;  // Unix seconds, as written in the CRLs
  std::int64_t next_update = 0;
  std::int64_t refresh_at = 0;  // re-signed from then on (half the CRL's lifetime)
};

// What the routes serve. The KRL and the CRLs are rebuilt independently (a new X.509 revocation
// does not bump the KRL version), so each is shared by pointer.
struct RevocationSnapshot {
  std::shared_ptr<const PublishedKrl> krl;
  std::shared_ptr<const PublishedCrls> crls;
};

class RevocationPublisher {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix seconds

  // Throws std::runtime_error when the issuing CA's fingerprint cannot be computed.
  RevocationPublisher(Store& store, const ca::SshCertificateAuthority& ssh_ca,
                      const ca::X509CaHierarchy& x509_ca, RevocationSettings settings,
                      Clock clock = {});
  ~RevocationPublisher();
  RevocationPublisher(const RevocationPublisher&) = delete;
  RevocationPublisher& operator=(const RevocationPublisher&) = delete;

  // Reads the revoked certificates and, when they changed (or the CRL is due for re-signing, or
  // nothing is published yet), takes new numbers, builds the lists and publishes them. When it
  // returns without error, the snapshot includes every revocation committed before the call.
  // Safe from many threads at once: callers queue on one rebuild at a time, and a caller whose
  // revocation a rebuild that started after its call has already covered returns at once.
  // Blocks for a durable write job: never call it from the Store's writer thread (a write
  // completion callback) — use rebuild_async there. Errors: the store's, or ca's from signing.
  [[nodiscard]] boost::system::error_code rebuild();

  // Posts rebuild() to the io_context given to start() and returns at once; safe from any thread,
  // including the Store's write callbacks. `then`, when given, runs after that rebuild with its
  // result (on the io_context), or at once with `unavailable` before start() or after stop().
  void rebuild_async(std::function<void(boost::system::error_code)> then = {});

  // The last published lists; null before the first successful rebuild.
  [[nodiscard]] std::shared_ptr<const RevocationSnapshot> snapshot() const;

  // Rebuilds once (throws std::runtime_error with one line if that fails: the broker must not
  // serve without revocation lists), then keeps the CRL fresh with a timer on `io` that fires at
  // refresh_at (half the CRL's lifetime) and whenever a rebuild failed (retry after 10 s), and
  // polls the revocation generation every poll_interval. Expired certificates drop out of the
  // lists at these rebuilds.
  void start(boost::asio::io_context& io);
  // Cancels the timer. Call before the io_context is destroyed, from its thread or once it stopped.
  void stop();

  // Reads the revocation generation and rebuilds when it moved past the published one (unless a
  // rebuild failed within the last second). From any thread; blocks like rebuild().
  void check_generation();

  // Rebuilds that published new lists, and rebuilds that failed (for metrics and tests).
  [[nodiscard]] std::uint64_t published() const noexcept { return published_.load(); }
  [[nodiscard]] std::uint64_t failures() const noexcept { return failures_.load(); }
  // The revocation generation the published lists include (-1 before the first rebuild).
  [[nodiscard]] std::int64_t generation() const noexcept { return generation_.load(); }

 private:
  boost::system::error_code rebuild_locked();
  // Re-arms the timer: at the CRL's refresh_at after a success, in 10 s after a failure.
  void after_rebuild(boost::system::error_code ec);
  void on_timer();
  void on_poll();
  void arm_poll();

  Store& store_;
  const ca::SshCertificateAuthority& ssh_ca_;
  const ca::X509CaHierarchy& x509_ca_;
  RevocationSettings settings_;
  Clock clock_;
  std::vector<std::string> issuer_fingerprints_;  // x509_issuer_fingerprints, signing CA first
  RevocationSources sources_;

  // Coalescing: each call takes a ticket; a rebuild that read `tickets_` as T before it read the
  // database covers every caller whose ticket is <= T.
  std::atomic<std::uint64_t> tickets_{0};
  std::mutex rebuild_mutex_;  // one rebuild at a time; guards what follows
  std::uint64_t covered_ = 0;
  std::optional<std::vector<SshRevocation>> last_ssh_;  // inputs of the published lists
  std::optional<std::vector<X509Revocation>> last_x509_;

  mutable std::mutex snapshot_mutex_;  // guards only the pointer swap and copy
  std::shared_ptr<const RevocationSnapshot> snapshot_;

  std::mutex timer_mutex_;
  boost::asio::io_context* io_ = nullptr;
  std::optional<boost::asio::steady_timer> timer_;
  std::optional<boost::asio::steady_timer> poll_timer_;
  bool stopped_ = false;

  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::int64_t> generation_{-1};
  // steady_clock milliseconds of the last failed rebuild: the poll does not retry within a second.
  std::atomic<std::int64_t> last_failure_ms_{0};
};

}  // namespace jit::broker
