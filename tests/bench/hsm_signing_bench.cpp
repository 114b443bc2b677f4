// SSH certificates/s over HTTPS with the CA key in a SoftHSM2 token (PKCS#11, made by
// `jit-broker ca init ssh --pkcs11`) against the same broker set-up with the key in a file, in one
// run: a real `jit-broker serve` each, N auto-approved grants, closed-loop keep-alive clients at 1
// and 16 connections (tests/bench/support). Prints figures only; fails only when a broker does
// not answer 201.
//
//   hsm_signing_bench [--quick] [--grants N] [--seconds S]
#include "ca/private_key.hpp"
#include "ca/ssh_public_key.hpp"
#include "support/bench_broker.hpp"
#include "support/load_client.hpp"
#include "tests/support/softhsm_token.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace jit;
namespace json = boost::json;
namespace http = boost::beast::http;

constexpr const char* kHsmBenchUri = "pkcs11:token=jit;object=bench-ssh-ca";

struct HsmBenchOptions {
  bool quick = false;
  std::size_t grants = 200;
  int seconds = 5;
};

HsmBenchOptions parse_hsm_bench_options(int argc, char** argv) {
  HsmBenchOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      options.quick = true;
      options.grants = 8;
      options.seconds = 1;
    } else if (arg == "--grants" && i + 1 < argc) {
      options.grants = std::stoul(argv[++i]);
    } else if (arg == "--seconds" && i + 1 < argc) {
      options.seconds = std::stoi(argv[++i]);
    } else {
      throw std::runtime_error("usage: hsm_signing_bench [--quick] [--grants N] [--seconds S]");
    }
  }
  return options;
}

bench::BenchBrokerOptions hsm_bench_broker(bool on_token, const testing::SoftHsmToken& token) {
  bench::BenchBrokerOptions options;
  options.users = {"load0", "lead"};
  options.policy_yaml =
      "groups: { engineers: [load0], leads: [lead] }\n"
      "roles:\n"
      "  load:\n"
      "    requestable_by: [engineers]\n"
      "    approvers: [leads]\n"
      "    approvals_required: 0\n"
      "    auto_approve: true\n"
      "    max_duration: 8h\n"
      "    ssh: { principals: [load], extensions: [permit-pty] }\n";
  if (on_token) {
    // Continues broker.yaml's `ca:` section, which BrokerProcess writes last.
    options.extra_config_yaml = "  pkcs11:\n    module: " + testing::kSoftHsmModule.string() +
                                "\n    pin_env: JIT_BENCH_HSM_PIN\n  ssh_key_files: [\"" +
                                kHsmBenchUri + "\"]\n";
    options.before_start = [&token](testing::BrokerProcess& broker) {
      ::setenv("JIT_BENCH_HSM_PIN", token.pin().c_str(), 1);
      auto [code, out, err] = broker.admin({"ca", "init", "ssh", "--pkcs11", kHsmBenchUri});
      if (code != 0) throw std::runtime_error("ca init --pkcs11 failed: " + err);
    };
  }
  options.extra_config_yaml += "mfa:\n  freshness: 1h\nhttp:\n  max_connections_per_source: 1024\n";
  return options;
}

bool measure_broker(const std::string& name, bool on_token, const testing::SoftHsmToken& token,
                    const HsmBenchOptions& options) {
  bench::BenchBroker broker(hsm_bench_broker(on_token, token));
  const std::string token_value = broker.login("load0");
  std::vector<std::string> grants;
  for (std::size_t i = 0; i < options.grants; ++i) {
    json::object body{{"role", "load"}, {"reason", "bench"}, {"duration", "8h"}};
    auto answer = broker.call(http::verb::post, "/v1/requests", token_value, &body, 201);
    grants.emplace_back(answer.at("grant").at("id").as_string());
  }
  auto key = ca::generate_private_key(ca::KeyAlgorithm::ed25519);
  const auto body =
      json::serialize(json::object{{"public_key", ca::SshPublicKey::from_evp(key->get())->line()}});
  bench::LoadPlan plan;
  plan.server = {boost::asio::ip::make_address("127.0.0.1"), broker.port()};
  plan.ca_file = broker.ca_file();
  plan.warmup = std::chrono::milliseconds(options.quick ? 200 : 1000);
  plan.duration = std::chrono::seconds(options.seconds);
  plan.next_call = [&](std::size_t connection, std::uint64_t sequence) {
    return bench::LoadCall{
        "/v1/grants/" + grants[(connection * 7919 + sequence) % grants.size()] + "/ssh-cert", body,
        "Bearer " + token_value};
  };
  bool clean = true;
  for (const std::size_t connections : {1, 16}) {
    plan.connections = connections;
    const auto cpu_before = broker.cpu_us();
    auto report = bench::run_load(plan);
    const double answered = static_cast<double>(std::max<std::uint64_t>(report.answered, 1));
    std::printf("%-12s %5zu %8.0f %8.2f %8.2f %6llu %8.0f us\n", name.c_str(), connections,
                report.rate(), report.percentile_ms(0.50), report.percentile_ms(0.99),
                static_cast<unsigned long long>(report.failed),
                static_cast<double>(broker.cpu_us() - cpu_before) / answered);
    if (!report.first_failure.empty())
      std::printf("  first failure: %s\n", report.first_failure.c_str());
    std::fflush(stdout);
    clean = clean && report.failed == 0;
  }
  return clean;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto options = parse_hsm_bench_options(argc, argv);
    testing::SoftHsmToken token;
    std::printf("%-12s %5s %8s %8s %8s %6s %11s\n", "SSH CA key", "conns", "certs/s", "p50 ms",
                "p99 ms", "failed", "broker CPU");
    bool clean = measure_broker("file", false, token, options);
    clean = measure_broker("SoftHSM2", true, token, options) && clean;
    std::printf("%s\n", clean ? "all answers were 201" : "FAILED: see the lines above");
    return clean ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hsm_signing_bench: %s\n", e.what());
    return 1;
  }
}
