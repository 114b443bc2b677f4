// The whole access flow per second on a real broker process: a developer creates a request, two
// approvers each approve it with a passkey assertion bound to that request (begin + approve), and
// the developer mints an SSH certificate from the grant. Each worker thread drives its own
// developer and two approvers over keep-alive HTTPS connections, so many users act at once.
// Reports flows/s, API calls/s and flow latency percentiles; never fails on timing.
//
//   request_flow_bench [--quick] [--workers W] [--seconds S]
#include "ca/bytes.hpp"
#include "ca/private_key.hpp"
#include "ca/ssh_public_key.hpp"
#include "support/bench_broker.hpp"
#include "support/keep_alive_client.hpp"
#include "tests/support/software_authenticator.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace jit;
namespace json = boost::json;
namespace http = boost::beast::http;
namespace sw = jit::testing;
using Clock = std::chrono::steady_clock;

struct Options {
  bool quick = false;
  std::size_t workers = 16;
  int seconds = 10;
};

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      options.quick = true;
      options.workers = 2;
      options.seconds = 1;
    } else if (arg == "--workers" && i + 1 < argc) {
      options.workers = std::stoul(argv[++i]);
    } else if (arg == "--seconds" && i + 1 < argc) {
      options.seconds = std::stoi(argv[++i]);
    } else {
      throw std::runtime_error("usage: request_flow_bench [--quick] [--workers W] [--seconds S]");
    }
  }
  return options;
}

std::string developer(std::size_t worker) { return "dev" + std::to_string(worker); }
std::string approver(std::size_t worker, int which) {
  return "lead" + std::to_string(worker * 2 + static_cast<std::size_t>(which));
}

bench::BenchBrokerOptions broker_options(std::size_t workers) {
  bench::BenchBrokerOptions options;
  std::string developers, leads;
  for (std::size_t w = 0; w < workers; ++w) {
    for (const auto& user : {developer(w), approver(w, 0), approver(w, 1)}) {
      options.users.push_back(user);
    }
    developers += (w ? ", " : "") + developer(w);
    leads += (w ? ", " : "") + approver(w, 0) + ", " + approver(w, 1);
  }
  options.policy_yaml = "groups: { developers: [" + developers + "], leads: [" + leads + "] }\n" +
                        "roles:\n"
                        "  flow:\n"
                        "    requestable_by: [developers]\n"
                        "    approvers: [leads]\n"
                        "    approvals_required: 2\n"
                        "    max_duration: 1h\n"
                        "    require_reason: true\n"
                        "    ssh: { principals: [flow], extensions: [permit-pty] }\n";
  options.extra_config_yaml =
      "mfa:\n  freshness: 1h\n  webauthn:\n    rp_id: localhost\n"
      "    origin: https://localhost:{port}\n";
  return options;
}

std::string b64(const ca::Bytes& bytes) { return ca::base64url_encode_unpadded(bytes); }

ca::Bytes challenge_of(const json::value& options) {
  ca::Bytes challenge;
  if (!ca::base64url_decode_unpadded(std::string_view(options.at("challenge").as_string()),
                                     challenge)) {
    throw std::runtime_error("challenge is not base64url");
  }
  return challenge;
}

// An approver with a registered passkey; sign counts grow with each assertion.
struct Approver {
  std::string token;
  sw::SoftwareAuthenticator key = sw::SoftwareAuthenticator::es256();
  std::uint32_t sign_count = 0;
};

// `totp`: a code the approver has not used yet, the fresh factor a registration needs.
void register_passkey(bench::KeepAliveClient& client, Approver& approver, const std::string& origin,
                      const std::string& totp) {
  const json::object empty_body;
  auto begun =
      client.call(http::verb::post, "/v1/webauthn/register/begin", approver.token, &empty_body);
  if (begun.status != 200)
    throw std::runtime_error("register/begin: " + json::serialize(begun.body));
  const auto client_data =
      sw::make_client_data("webauthn.create", challenge_of(begun.body), origin);
  json::object finish{{"client_data_json", b64(client_data)},
                      {"attestation_object", b64(approver.key.attestation_object(client_data, {}))},
                      {"mfa", {{"totp", totp}}}};
  auto finished =
      client.call(http::verb::post, "/v1/webauthn/register/finish", approver.token, &finish);
  if (finished.status != 201) {
    throw std::runtime_error("register/finish: " + json::serialize(finished.body));
  }
}

struct Worker {
  std::string developer_token;
  Approver approvers[2];
  std::unique_ptr<bench::KeepAliveClient> client;
};

struct Totals {
  std::mutex mutex;
  std::vector<std::uint32_t> flow_us;
  std::uint64_t calls = 0;
  std::string failure;
};

// One flow; returns the number of API calls made, throws on an unexpected answer.
std::uint64_t run_flow(Worker& worker, const std::string& origin, const std::string& public_key) {
  auto& client = *worker.client;
  json::object ask{{"role", "flow"}, {"reason", "bench flow"}, {"duration", "30m"}};
  auto created = client.call(http::verb::post, "/v1/requests", worker.developer_token, &ask);
  if (created.status != 201) throw std::runtime_error("create: " + json::serialize(created.body));
  const std::string id(created.body.at("id").as_string());
  json::value last;
  json::object approve_decision{{"decision", "approve"}};
  for (auto& approver : worker.approvers) {
    auto begun = client.call(http::verb::post, "/v1/requests/" + id + "/webauthn/begin",
                             approver.token, &approve_decision);
    if (begun.status != 200) throw std::runtime_error("begin: " + json::serialize(begun.body));
    const auto client_data = sw::make_client_data("webauthn.get", challenge_of(begun.body), origin);
    const auto assertion =
        approver.key.get_assertion(client_data, {"localhost", 0x05, ++approver.sign_count});
    json::object approve{{"comment", "ok"},
                         {"mfa",
                          {{"webauthn",
                            {{"credential_id", b64(approver.key.credential_id())},
                             {"client_data_json", b64(client_data)},
                             {"authenticator_data", b64(assertion.authenticator_data)},
                             {"signature", b64(assertion.signature)}}}}}};
    auto approved =
        client.call(http::verb::post, "/v1/requests/" + id + "/approve", approver.token, &approve);
    if (approved.status != 200)
      throw std::runtime_error("approve: " + json::serialize(approved.body));
    last = std::move(approved.body);
  }
  if (last.at("state").as_string() != "active") throw std::runtime_error("not active after 2");
  const std::string grant(last.at("grant").at("id").as_string());
  json::object mint{{"public_key", public_key}};
  auto minted = client.call(http::verb::post, "/v1/grants/" + grant + "/ssh-cert",
                            worker.developer_token, &mint);
  if (minted.status != 201) throw std::runtime_error("mint: " + json::serialize(minted.body));
  return 6;
}

double percentile_ms(const std::vector<std::uint32_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)] / 1000.0;
}

int run(const Options& options) {
  bench::BenchBroker broker(broker_options(options.workers));
  const std::string origin = "https://localhost:" + std::to_string(broker.port());
  auto key = ca::generate_private_key(ca::KeyAlgorithm::ed25519);
  const auto public_key = ca::SshPublicKey::from_evp(key->get())->line();

  std::vector<Worker> workers(options.workers);
  for (std::size_t w = 0; w < options.workers; ++w) {
    workers[w].client = std::make_unique<bench::KeepAliveClient>(broker.port(), broker.ca_file());
    workers[w].developer_token = broker.login(developer(w));
    for (int a = 0; a < 2; ++a) {
      workers[w].approvers[a].token = broker.login(approver(w, a));
      register_passkey(*workers[w].client, workers[w].approvers[a], origin,
                       broker.totp(approver(w, a)));
    }
  }
  std::printf(
      "broker pid %d on 127.0.0.1:%u, %zu workers (%zu users), flow: create, 2 x (passkey "
      "challenge + approve), mint SSH\n",
      broker.pid(), broker.port(), options.workers, options.workers * 3);

  Totals totals;
  std::atomic<bool> stop{false};
  const auto cpu_before = broker.cpu_us();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([&] {
      try {
        while (!stop) {
          const auto flow_start = Clock::now();
          const auto calls = run_flow(worker, origin, public_key);
          const auto us =
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - flow_start)
                  .count();
          std::lock_guard lock(totals.mutex);
          totals.flow_us.push_back(static_cast<std::uint32_t>(us));
          totals.calls += calls;
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(totals.mutex);
        if (totals.failure.empty()) totals.failure = e.what();
        stop = true;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(options.seconds));
  stop = true;
  for (auto& thread : threads) thread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const auto cpu_used = broker.cpu_us() - cpu_before;

  std::sort(totals.flow_us.begin(), totals.flow_us.end());
  const auto flows = totals.flow_us.size();
  std::printf(
      "%zu flows in %.1f s: %.0f flows/s, %.0f API calls/s; flow latency p50 %.1f ms, p99 "
      "%.1f ms, p999 %.1f ms; broker CPU %.0f us per flow; peak RSS %.1f MiB\n",
      flows, seconds, static_cast<double>(flows) / seconds,
      static_cast<double>(totals.calls) / seconds, percentile_ms(totals.flow_us, 0.5),
      percentile_ms(totals.flow_us, 0.99), percentile_ms(totals.flow_us, 0.999),
      flows ? static_cast<double>(cpu_used) / static_cast<double>(flows) : 0.0,
      static_cast<double>(broker.peak_rss_kib()) / 1024.0);
  if (!totals.failure.empty()) {
    std::printf("FAILED: %s\n", totals.failure.c_str());
    return 1;
  }
  return flows > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_options(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "request_flow_bench: %s\n", e.what());
    return 1;
  }
}
