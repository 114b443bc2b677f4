// The broker's revocation rebuild at scale: a store (in a temporary folder) holding N revoked,
// unexpired SSH certificates and N revoked X.509 certificates, and the time of one full
// RevocationPublisher::rebuild() after a new revocation (both lists change), split into its phases:
// reading the rows, taking the numbers (one durable write job with its audit record), building the
// KRL, and signing the CRLs with their ETags. Target (docs/architecture.md): rebuild with 100,000
// revoked entries under 100 ms. Prints figures and never fails on timing. `--quick` runs 1,000
// entries twice (the CTest smoke run).
#include "broker/auth/derived_keys.hpp"
#include "broker/service/revocation_lists.hpp"
#include "broker/store/store.hpp"
#include "broker/workers/revocation_publisher.hpp"
#include "ca/x509_hierarchy.hpp"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using namespace jit;
using SteadyClock = std::chrono::steady_clock;

double milliseconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Grant, then N revoked SSH and N revoked X.509 rows, in one write job. SSH serials are random
// (the KRL's worst case: no ranges), as X.509 serials always are.
bool fill(broker::Store& store, std::size_t n, const std::string& ssh_ca_key,
          const std::string& x509_ca_key, std::int64_t now) {
  const auto ec = store.write_sync([&](broker::WriteContext& tx) {
    tx.sqlite().exec(
        "INSERT INTO requests(id, requester, role, reason, ticket, duration_s, state, created_at, "
        "pending_deadline) VALUES ('req-1', 'alice', 'r', 'r', 't', 3600, 'revoked', 0, 0)");
    tx.sqlite().exec(
        "INSERT INTO grants(id, request_id, user, role, not_before, not_after, state) VALUES "
        "('grt-1', 'req-1', 'alice', 'r', 0, 0, 'revoked')");
    SQLite::Statement insert(tx.sqlite(),
                             "INSERT INTO certificates(kind, serial, grant_id, ca_key, "
                             "key_fingerprint, key_id, not_after, issued_at, revoked_at) "
                             "VALUES (?, ?, 'grt-1', ?, 'SHA256:x', 'jit:req-1:alice:r', ?, ?, ?)");
    std::uint64_t ssh_serial = 1;
    for (std::size_t i = 0; i < n; ++i) {
      ssh_serial += 1 + static_cast<std::uint64_t>(std::rand() % 1000);
      for (const bool ssh : {true, false}) {
        insert.reset();
        insert.bind(1, ssh ? "ssh" : "x509");
        insert.bind(2, ssh ? std::to_string(ssh_serial) : ca::random_serial()->hex());
        insert.bind(3, ssh ? ssh_ca_key : x509_ca_key);
        insert.bind(4, now + 3600);
        insert.bind(5, now - 60);
        insert.bind(6, now - 30);
        insert.exec();
      }
    }
    return boost::system::error_code{};
  });
  return !ec;
}

void run(std::size_t n, int iterations) {
  std::string pattern = (std::filesystem::temp_directory_path() / "jit-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return;
  const std::filesystem::path dir = pattern;
  {
    auto store = broker::Store::open(dir / "broker.db",
                                     broker::audit_chain_key(ca::Bytes(32, std::byte{7})));
    std::vector<ca::SshCaKey> keys;
    keys.push_back(*ca::SshCaKey::generate());
    const auto ssh_ca = *ca::SshCertificateAuthority::create(std::move(keys));
    const auto x509_ca = *ca::create_dev_hierarchy(ca::KeyAlgorithm::ecdsa_p256, {}, {},
                                                   std::chrono::system_clock::now());
    const std::string ssh_key = ssh_ca.signing_key().public_key().fingerprint_sha256();
    const std::string x509_key = *broker::x509_ca_fingerprint(x509_ca.issuing());
    const std::int64_t now = unix_now();
    if (!fill(*store, n, ssh_key, x509_key, now)) {
      std::fprintf(stderr, "filling the store failed\n");
      return;
    }
    broker::RevocationPublisher publisher(*store, ssh_ca, x509_ca, {}, [now] { return now; });
    if (publisher.rebuild()) std::fprintf(stderr, "first rebuild failed\n");

    // Phases, measured with the same building blocks rebuild() uses.
    const broker::RevocationSources sources(ssh_ca, std::vector<std::string>{x509_key},
                                            std::chrono::seconds(30));
    std::vector<double> total, read, numbers, krl, crl;
    std::size_t krl_bytes = 0, crl_bytes = 0;
    for (int i = 0; i < iterations; ++i) {
      // A changed row in each list, so that both lists are due.
      store->write_sync([&](broker::WriteContext& tx) {
        tx.sqlite().exec("UPDATE certificates SET not_after = not_after - 1 WHERE id IN (1, 2)");
        return boost::system::error_code{};
      });
      auto start = SteadyClock::now();
      if (publisher.rebuild()) std::fprintf(stderr, "rebuild failed\n");
      total.push_back(milliseconds_since(start));

      start = SteadyClock::now();
      const auto revoked =
          store->read([&](broker::db::Connection& db) { return sources.load(db, now); });
      read.push_back(milliseconds_since(start));
      start = SteadyClock::now();
      const auto taken = broker::take_publication_numbers(*store, true, true, "bench", {});
      numbers.push_back(milliseconds_since(start));
      start = SteadyClock::now();
      const auto built_krl =
          broker::build_revocation_krl(ssh_ca, revoked.ssh, *taken->krl_version,
                                       std::chrono::sys_seconds(std::chrono::seconds(now)));
      krl.push_back(milliseconds_since(start));
      start = SteadyClock::now();
      const auto t = std::chrono::sys_seconds(std::chrono::seconds(now));
      const auto built_crl = broker::build_revocation_crl(
          x509_ca.issuing(), revoked.x509, *taken->crl_number, t, t + std::chrono::minutes(5), t);
      crl.push_back(milliseconds_since(start));
      krl_bytes = built_krl->bytes.size();
      crl_bytes = built_crl->der.size();
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    std::printf(
        "%7zu SSH + %7zu X.509 revoked: rebuild() %.1f ms median (max %.1f) | read rows %.1f ms, "
        "numbers (durable write) %.1f ms, KRL %.1f ms (%zu B), CRL %.1f ms (%zu B DER)\n",
        n, n, median(total), *std::max_element(total.begin(), total.end()), median(read),
        median(numbers), median(krl), krl_bytes, median(crl), crl_bytes);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  std::srand(7);
  if (quick) {
    run(1000, 2);
    return 0;
  }
  for (const std::size_t n : {1000u, 10'000u, 50'000u, 100'000u}) run(n, 7);
  return 0;
}
