// SSH CA speed: certificates minted per second on one thread next to the raw EVP_DigestSign rate of
// the same key type measured in the same run, and KRL build time and size for 1k/10k/100k revoked
// serials. Prints figures; never fails on timing. `--quick` runs a few iterations for CTest.
// Rates are per second of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that other processes
// on a shared machine slow both loops alike instead of skewing their ratio; KRL times show both
// wall and CPU milliseconds.
#include "ca/krl.hpp"
#include "ca/krl_builder.hpp"
#include "ca/ssh_certificate_authority.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace jit::ca;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "ssh_ca_bench: %s\n", what);
  std::exit(1);
}

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Runs body repeatedly for about `duration` of CPU time and returns operations per CPU second.
double rate(const std::function<void()>& body, std::chrono::milliseconds duration) {
  std::uint64_t count = 0;
  const double start = cpu_seconds();
  const double end = start + std::chrono::duration<double>(duration).count();
  double now = start;
  while (now < end) {
    for (int i = 0; i < 16; ++i) body();
    count += 16;
    now = cpu_seconds();
  }
  return static_cast<double>(count) / (now - start);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

void bench_minting(KeyAlgorithm algorithm, const char* label, bool quick) {
  std::vector<SshCaKey> keys;
  auto key = SshCaKey::generate(algorithm);
  if (!key) die("key generation");
  keys.push_back(std::move(*key));
  auto ca = SshCertificateAuthority::create(std::move(keys));
  auto subject_key = generate_private_key(KeyAlgorithm::ed25519);
  if (!ca || !subject_key) die("setup");
  auto subject = SshPublicKey::from_evp(subject_key->get());
  if (!subject) die("subject");

  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  SshCertificateProfile profile;
  profile.serial = 1;
  profile.key_id = "jit:req-123456:alice:prod-db-read";
  profile.principals = {"dbread"};
  profile.valid_after = now - std::chrono::seconds(30);
  profile.valid_before = now + std::chrono::hours(1);
  profile.source_addresses = {"10.0.0.0/8"};

  // The raw loop signs a message the size of a real certificate body, with a fresh context per
  // signature, exactly as the CA must (an Ed25519 context cannot be reused in OpenSSL 3.0).
  auto sample = ca->issue_user_certificate(*subject, profile);
  if (!sample) die("issue");
  const std::vector<std::byte> body(sample->blob.begin(), sample->blob.end() - 100);
  EVP_PKEY* pkey = const_cast<EVP_PKEY*>(ca->signing_key().private_key());
  const char* digest = algorithm == KeyAlgorithm::ed25519 ? nullptr : "SHA256";
  unsigned char signature[256];
  const auto raw_sign = [&] {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t length = sizeof signature;
    if (ctx == nullptr ||
        EVP_DigestSignInit_ex(ctx, nullptr, digest, nullptr, nullptr, pkey, nullptr) != 1 ||
        EVP_DigestSign(ctx, signature, &length, reinterpret_cast<const unsigned char*>(body.data()),
                       body.size()) != 1) {
      die("raw sign");
    }
    EVP_MD_CTX_free(ctx);
  };
  std::size_t line_bytes = 0;
  const auto mint = [&] {
    ++profile.serial;
    auto issued = ca->issue_user_certificate(*subject, profile);
    if (!issued) die("mint");
    line_bytes = issued->line().size();
  };

  // Alternate the two loops so that load from other processes hits both alike.
  const int rounds = quick ? 1 : 5;
  const auto slice = std::chrono::milliseconds(quick ? 100 : 1000);
  std::vector<double> raw_rates;
  std::vector<double> mint_rates;
  for (int round = 0; round < rounds; ++round) {
    raw_rates.push_back(rate(raw_sign, slice));
    mint_rates.push_back(rate(mint, slice));
  }
  const double raw = median(raw_rates);
  const double minted = median(mint_rates);
  std::printf(
      "%-16s raw EVP_DigestSign %9.0f /s   certificates (issue + line) %9.0f /s   ratio %5.1f%%   "
      "(cert line %zu bytes)\n",
      label, raw, minted, 100.0 * minted / raw, line_bytes);
}

void bench_krl(const char* pattern, std::size_t count, const std::vector<std::uint64_t>& serials,
               bool quick) {
  auto ca = SshCaKey::generate(KeyAlgorithm::ed25519);
  if (!ca) die("krl ca");
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  const std::uint64_t not_after = static_cast<std::uint64_t>(now.time_since_epoch().count()) + 3600;
  std::vector<double> times;
  std::vector<double> cpu_times;
  std::size_t size = 0;
  for (int rep = 0; rep < (quick ? 1 : 7); ++rep) {
    const auto start = Clock::now();
    const double cpu_start = cpu_seconds();
    KrlBuilder builder;
    builder.reserve(count);
    for (std::uint64_t serial : serials) {
      if (!builder.add(ca->public_key(), {serial, "", not_after})) die("krl add");
    }
    auto built = builder.build(1, now);
    if (!built || built->revoked_serials != count) die("krl build");
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    cpu_times.push_back((cpu_seconds() - cpu_start) * 1000);
    size = built->bytes.size();
  }
  std::printf(
      "KRL %-14s %7zu serials: add+build+verify %8.2f ms wall %8.2f ms CPU   size %9zu bytes (%.2f "
      "bytes/serial)\n",
      pattern, count, median(times), median(cpu_times), size,
      static_cast<double>(size) / static_cast<double>(count));
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  std::printf("ssh_ca_bench%s: one thread\n", quick ? " (quick)" : "");
  bench_minting(KeyAlgorithm::ed25519, "Ed25519 CA", quick);
  bench_minting(KeyAlgorithm::ecdsa_p256, "ECDSA P-256 CA", quick);

  std::mt19937_64 random(2024);
  for (std::size_t count : {std::size_t{1000}, std::size_t{10000}, std::size_t{100000}}) {
    std::vector<std::uint64_t> sparse;
    while (sparse.size() < count) {
      const std::uint64_t serial = random() >> 1;
      if (serial != 0) sparse.push_back(serial);
    }
    std::vector<std::uint64_t> consecutive(count);
    for (std::size_t i = 0; i < count; ++i) consecutive[i] = 1000000 + i;
    // What the broker will see: serials allocated in sequence, about one certificate in ten
    // revoked.
    std::vector<std::uint64_t> every_tenth;
    for (std::uint64_t serial = 1; every_tenth.size() < count; ++serial) {
      if (random() % 10 == 0) every_tenth.push_back(serial);
    }
    bench_krl("random-sparse", count, sparse, quick);
    bench_krl("consecutive", count, consecutive, quick);
    bench_krl("1-in-10 dense", count, every_tenth, quick);
  }
  return 0;
}
