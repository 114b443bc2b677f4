// X.509 CA speed, one thread: client certificates per second from a P-256 CSR beside the raw ECDSA
// P-256 sign rate of the same run (docs/architecture.md target: at least 50%), and CRL rebuild time
// and size at 1k/10k/100k revoked entries (target: under 100 ms at 100k). Prints figures and
// never fails on timing. `--quick` runs a few iterations only (the CTest smoke run).
#include "ca/crl_builder.hpp"
#include "ca/csr_parser.hpp"
#include "ca/x509_client_certificate.hpp"
#include "ca/x509_hierarchy.hpp"

#include <openssl/pem.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

namespace {

using namespace jit::ca;
using Clock = std::chrono::steady_clock;

struct Settings {
  bool quick = false;
  std::chrono::milliseconds duration{2000};  // per rate measurement
};

// CPU time of this thread, which a loaded machine (2 cores, several builds) does not inflate the
// way it inflates wall time.
double thread_cpu_milliseconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

// Calls `step` until `duration` has passed (at least `minimum` times) and returns calls per second.
double rate(const Settings& settings, const std::function<bool()>& step, int minimum = 20) {
  for (int i = 0; i < 3; ++i) step();  // warm-up: first-use fetches and caches
  const auto start = Clock::now();
  long calls = 0;
  while (true) {
    if (!step()) {
      std::fprintf(stderr, "operation failed\n");
      return 0;
    }
    ++calls;
    const auto elapsed = Clock::now() - start;
    if (calls >= minimum && (settings.quick || elapsed >= settings.duration)) {
      return static_cast<double>(calls) / std::chrono::duration<double>(elapsed).count();
    }
  }
}

std::string make_csr_pem(EVP_PKEY* key) {
  X509ReqPtr request(X509_REQ_new());
  X509NamePtr name(X509_NAME_new());
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("bench"), -1, -1, 0);
  X509_REQ_set_subject_name(request.get(), name.get());
  X509_REQ_set_pubkey(request.get(), key);
  X509_REQ_sign(request.get(), key, EVP_sha256());
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), request.get());
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

void bench_issuance(const Settings& settings, const X509CaHierarchy& hierarchy) {
  auto client_key = generate_private_key(KeyAlgorithm::ecdsa_p256);
  if (!client_key) return;
  const std::string csr_pem = make_csr_pem(client_key->get());
  auto verified = parse_and_verify_csr(csr_pem);
  auto serial = random_serial();
  if (!verified || !serial) {
    std::fprintf(stderr, "setup failed\n");
    return;
  }
  const X509ClientProfile profile{"alice",
                                  "prod-db-read",
                                  "spiffe://corp.example/user/alice/role/prod-db-read",
                                  "alice@corp.example",
                                  "http://127.0.0.1:8443/v1/ca/x509/crl",
                                  ""};
  const auto now = std::chrono::system_clock::now();
  const auto end = now + std::chrono::hours(1);

  // Raw reference: EVP_DigestSign with the issuing CA's P-256 key over a TBSCertificate-sized
  // message, a fresh context each time (what any one-off signature costs).
  auto sample = issue_client_certificate(hierarchy.issuing(), *verified, profile, *serial,
                                         now - std::chrono::seconds(60), end);
  const std::vector<unsigned char> message(sample ? sample->der.size() - 80 : 400, 0x5A);
  EVP_PKEY* ca_key = hierarchy.issuing().signing_key();
  std::vector<unsigned char> signature(static_cast<std::size_t>(EVP_PKEY_get_size(ca_key)));
  const double raw_sign = rate(settings, [&] {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    std::size_t length = signature.size();
    return EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, ca_key) == 1 &&
           EVP_DigestSign(ctx.get(), signature.data(), &length, message.data(), message.size()) ==
               1;
  });
  std::size_t signature_length = signature.size();
  {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, ca_key);
    EVP_DigestSign(ctx.get(), signature.data(), &signature_length, message.data(), message.size());
  }
  // Raw P-256 verification, which every CSR costs (proof of possession).
  const double raw_verify = rate(settings, [&] {
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, ca_key) == 1 &&
           EVP_DigestVerify(ctx.get(), signature.data(), signature_length, message.data(),
                            message.size()) == 1;
  });

  const double parse_only =
      rate(settings, [&] { return parse_and_verify_csr(csr_pem).has_value(); });
  const double issue_only = rate(settings, [&] {
    return issue_client_certificate(hierarchy.issuing(), *verified, profile, *serial,
                                    now - std::chrono::seconds(60), end)
        .has_value();
  });
  const double from_csr = rate(settings, [&] {
    return issue_client_certificate_from_csr(hierarchy.issuing(), csr_pem, profile, *serial,
                                             now - std::chrono::seconds(60), end)
        .has_value();
  });
  const double ceiling = 1.0 / (1.0 / raw_sign + 1.0 / raw_verify);

  std::printf(
      "x509 issuance, one thread, issuing CA ECDSA P-256, client key P-256, cert %zu bytes DER\n",
      sample ? sample->der.size() : std::size_t{0});
  std::printf("  raw ECDSA P-256 sign (EVP_DigestSign)       %9.0f /s\n", raw_sign);
  std::printf("  raw ECDSA P-256 verify (EVP_DigestVerify)   %9.0f /s\n", raw_verify);
  std::printf("  CSR PEM parse + key checks + verify         %9.0f /s\n", parse_only);
  std::printf("  certificate from verified CSR               %9.0f /s  = %5.1f%% of raw sign\n",
              issue_only, 100.0 * issue_only / raw_sign);
  std::printf(
      "  certificate from CSR PEM (the whole call)   %9.0f /s  = %5.1f%% of raw sign (target "
      "50%%)\n",
      from_csr, 100.0 * from_csr / raw_sign);
  std::printf(
      "  ceiling for one sign + one verify           %9.0f /s  = %5.1f%% of raw sign; reached "
      "%5.1f%%\n",
      ceiling, 100.0 * ceiling / raw_sign, 100.0 * from_csr / ceiling);
}

void bench_crl(const Settings& settings, const X509CaHierarchy& hierarchy) {
  std::printf(
      "CRL rebuild (sort, encode, sign, PEM), issuing CA ECDSA P-256, target < 100 ms at 100k\n");
  const auto now = std::chrono::system_clock::now();
  for (std::size_t count : {std::size_t{1000}, std::size_t{10000}, std::size_t{100000}}) {
    std::vector<CrlEntry> entries;
    entries.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      const CrlReason reason = i % 3 == 0   ? CrlReason::unspecified
                               : i % 3 == 1 ? CrlReason::key_compromise
                                            : CrlReason::cessation_of_operation;
      entries.push_back({*random_serial(), now - std::chrono::seconds(static_cast<long>(i % 3600)),
                         reason, now + std::chrono::hours(1)});
    }
    const int runs = settings.quick ? 1 : 15;
    std::vector<double> milliseconds;
    std::vector<double> cpu_milliseconds;
    std::size_t der_size = 0;
    std::size_t pem_size = 0;
    for (int run = 0; run < runs; ++run) {
      const auto start = Clock::now();
      const double cpu_start = thread_cpu_milliseconds();
      auto crl = build_crl(hierarchy.issuing(), entries, static_cast<std::uint64_t>(run + 1), now,
                           now + kDefaultCrlValidity, now);
      milliseconds.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      cpu_milliseconds.push_back(thread_cpu_milliseconds() - cpu_start);
      if (!crl || crl->listed != count) {
        std::fprintf(stderr, "CRL build failed\n");
        return;
      }
      der_size = crl->der.size();
      pem_size = crl->pem.size();
    }
    std::sort(milliseconds.begin(), milliseconds.end());
    std::sort(cpu_milliseconds.begin(), cpu_milliseconds.end());
    std::printf(
        "  %6zu entries: median %7.2f ms wall, %7.2f ms CPU, max %7.2f ms wall (%d runs), DER %8zu "
        "bytes "
        "(%.1f/entry), PEM %8zu\n",
        count, milliseconds[milliseconds.size() / 2], cpu_milliseconds[cpu_milliseconds.size() / 2],
        milliseconds.back(), runs, der_size,
        static_cast<double>(der_size) / static_cast<double>(count), pem_size);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) settings.quick = true;
  }
  auto hierarchy =
      create_dev_hierarchy(KeyAlgorithm::ecdsa_p256, {}, {}, std::chrono::system_clock::now());
  if (!hierarchy) {
    std::fprintf(stderr, "could not create the CA hierarchy\n");
    return 1;
  }
  bench_issuance(settings, *hierarchy);
  bench_crl(settings, *hierarchy);
  return 0;
}
