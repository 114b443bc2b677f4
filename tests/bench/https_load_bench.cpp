// HTTPS load on a real broker process: N active grants, keep-alive clients minting OpenSSH user
// certificates (POST /v1/grants/{id}/ssh-cert) over TLS on 127.0.0.1, with the database on disk and
// synchronous writes (every answered certificate is committed, fsynced and audited before its 201).
// Reports certificates/s, p50/p99/p999 latency and the broker's RSS at 1, 16 and 64 connections
// (closed loop), then an open-loop run at a fixed arrival rate (default 5,000/s, the issue's
// target) for the latency at that rate. Afterwards it checks, from the database, that every
// certificate the clients received is recorded with its audit record and that no serial repeats.
// Prints figures and never fails on timing; it fails only when the broker misbehaves.
//
//   https_load_bench [--quick] [--grants N] [--seconds S] [--rate R]
#include "support/bench_broker.hpp"
#include "support/load_client.hpp"
#include "support/ssh_key_lines.hpp"

#include <sys/resource.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace jit;
namespace json = boost::json;
namespace http = boost::beast::http;

constexpr std::size_t kUsers = 8;

struct Options {
  bool quick = false;
  std::size_t grants = 1000;
  int seconds = 10;
  double rate = 5000;
  int http_threads = 0;  // 0: the broker's default (one per core)
};

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--quick") {
      options.quick = true;
      options.grants = 16;
      options.seconds = 1;
      options.rate = 200;
    } else if (arg == "--grants" && has_value) {
      options.grants = std::stoul(argv[++i]);
    } else if (arg == "--seconds" && has_value) {
      options.seconds = std::stoi(argv[++i]);
    } else if (arg == "--rate" && has_value) {
      options.rate = std::stod(argv[++i]);
    } else if (arg == "--http-threads" && has_value) {
      options.http_threads = std::stoi(argv[++i]);
    } else {
      throw std::runtime_error(
          "usage: https_load_bench [--quick] [--grants N] [--seconds S] "
          "[--rate R] [--http-threads T]");
    }
  }
  return options;
}

std::string user_name(std::size_t i) { return "load" + std::to_string(i); }

bench::BenchBrokerOptions broker_options(const Options& run) {
  bench::BenchBrokerOptions options;
  std::string members;
  for (std::size_t i = 0; i < kUsers; ++i) {
    options.users.push_back(user_name(i));
    members += (i ? ", " : "") + user_name(i);
  }
  options.users.push_back("lead");
  options.policy_yaml = "groups: { engineers: [" + members + "], leads: [lead] }\n" +
                        "roles:\n"
                        "  load:\n"
                        "    requestable_by: [engineers]\n"
                        "    approvers: [leads]\n"
                        "    approvals_required: 0\n"
                        "    auto_approve: true\n"
                        "    max_duration: 8h\n"
                        "    ssh: { principals: [load], extensions: [permit-pty] }\n";
  // The sign-in's MFA stays fresh for the whole run, so mints need no second factor.
  options.extra_config_yaml = "mfa:\n  freshness: 1h\n";
  // Every load connection comes from 127.0.0.1: lift the per-source cap above the 64 used.
  options.extra_config_yaml += "http:\n  max_connections_per_source: 1024\n";
  if (run.http_threads > 0) {
    options.extra_config_yaml += "  threads: " + std::to_string(run.http_threads) + "\n";
  }
  return options;
}

struct Grant {
  std::string id;
  std::string authorization;
};

std::int64_t own_cpu_us() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto us = [](const timeval& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000 + t.tv_usec;
  };
  return us(usage.ru_utime) + us(usage.ru_stime);
}

void print_header() {
  std::printf("%-18s %5s %8s %8s %8s %8s %6s %7s %10s %10s\n", "run", "conns", "certs/s", "p50 ms",
              "p99 ms", "p999 ms", "failed", "RSS MiB", "broker CPU", "client CPU");
}

// CPU per certificate (over the whole run, warm-up included) tells what the machine could do if the
// broker and the generator had it to themselves: 2 cores / (broker + client) per certificate.
struct CpuUse {
  std::int64_t broker_us = 0;
  std::int64_t client_us = 0;
};

void print_row(const std::string& run, std::size_t connections, const bench::LoadReport& report,
               std::int64_t rss_kib, CpuUse cpu) {
  const double answered = static_cast<double>(std::max<std::uint64_t>(report.answered, 1));
  std::printf("%-18s %5zu %8.0f %8.2f %8.2f %8.2f %6llu %7.1f %7.0f us %7.0f us\n", run.c_str(),
              connections, report.rate(), report.percentile_ms(0.50), report.percentile_ms(0.99),
              report.percentile_ms(0.999), static_cast<unsigned long long>(report.failed),
              static_cast<double>(rss_kib) / 1024.0, cpu.broker_us / answered,
              cpu.client_us / answered);
  if (!report.first_failure.empty()) {
    std::printf("  first failure: %s\n", report.first_failure.c_str());
  }
  if (report.backlog > 0) {
    // A few queued calls at the end are a momentary burst; a queue that grew over the run means
    // the rate was not sustained (the certs/s column then falls short of the rate as well).
    std::printf("  open loop: %llu calls were queued for a free connection when the run ended\n",
                static_cast<unsigned long long>(report.backlog));
  }
  std::fflush(stdout);
}

// Every serial the clients received is in the certificates table with its audit record, once.
bool check_database(const std::filesystem::path& database, const std::set<std::uint64_t>& seen,
                    std::uint64_t received) {
  SQLite::Database db(database.string(), SQLite::OPEN_READONLY);
  SQLite::Statement certificates(db,
                                 "SELECT COUNT(*), COUNT(DISTINCT serial) FROM certificates "
                                 "WHERE kind = 'ssh'");
  certificates.executeStep();
  const auto rows = certificates.getColumn(0).getInt64();
  const auto distinct = certificates.getColumn(1).getInt64();
  SQLite::Statement audits(db, "SELECT COUNT(*) FROM audit WHERE action = 'certificate.issue'");
  audits.executeStep();
  const auto audited = audits.getColumn(0).getInt64();
  std::size_t missing = 0;
  SQLite::Statement find(db, "SELECT 1 FROM certificates WHERE kind = 'ssh' AND serial = ?");
  for (const auto serial : seen) {
    find.reset();
    find.bind(1, std::to_string(serial));
    if (!find.executeStep()) ++missing;
  }
  std::printf(
      "database: %lld SSH certificates (%lld distinct serials), %lld issue audit records; "
      "measured answers %llu, distinct serials among them %zu, missing from the database "
      "%zu\n",
      static_cast<long long>(rows), static_cast<long long>(distinct),
      static_cast<long long>(audited), static_cast<unsigned long long>(received), seen.size(),
      missing);
  return missing == 0 && rows == distinct && audited >= rows && seen.size() == received;
}

int run(const Options& options) {
  bench::BenchBroker broker(broker_options(options));
  std::vector<std::string> authorizations;
  for (std::size_t i = 0; i < kUsers; ++i) {
    authorizations.push_back("Bearer " + broker.login(user_name(i)));
  }
  std::vector<Grant> grants;
  for (std::size_t i = 0; i < options.grants; ++i) {
    const std::size_t user = i % kUsers;
    json::object body{{"role", "load"}, {"reason", "load test"}, {"duration", "8h"}};
    auto answer =
        broker.call(http::verb::post, "/v1/requests", authorizations[user].substr(7), &body, 201);
    const auto& grant = answer.at("grant");
    if (!grant.is_object()) throw std::runtime_error("auto-approved request has no grant");
    grants.push_back({std::string(grant.at("id").as_string()), authorizations[user]});
  }
  std::vector<std::string> key_bodies;
  for (int i = 0; i < 64; ++i) {
    key_bodies.push_back(
        json::serialize(json::object{{"public_key", bench::new_ssh_public_key_line()}}));
  }
  std::printf("broker pid %d on 127.0.0.1:%u, %zu active grants, %zu users, database %s\n",
              broker.pid(), broker.port(), grants.size(), kUsers, (broker.dir() / "data").c_str());
  std::printf("RSS after setup: %.1f MiB\n", static_cast<double>(broker.rss_kib()) / 1024.0);

  std::set<std::uint64_t> serials;
  std::uint64_t received = 0;
  bench::LoadPlan plan;
  plan.server = {boost::asio::ip::make_address("127.0.0.1"), broker.port()};
  plan.ca_file = broker.ca_file();
  plan.warmup = std::chrono::milliseconds(options.quick ? 200 : 1000);
  plan.duration = std::chrono::seconds(options.seconds);
  plan.next_call = [&](std::size_t connection, std::uint64_t sequence) {
    const auto& grant = grants[(connection * 7919 + sequence) % grants.size()];
    return bench::LoadCall{"/v1/grants/" + grant.id + "/ssh-cert",
                           key_bodies[sequence % key_bodies.size()], grant.authorization};
  };
  plan.on_answer = [&](const std::string& body) {
    ++received;
    serials.insert(json::parse(body).at("serial").to_number<std::uint64_t>());
  };

  print_header();
  bool clean = true;
  const auto measure = [&](const std::string& name) {
    const CpuUse before{broker.cpu_us(), own_cpu_us()};
    auto report = bench::run_load(plan);
    const CpuUse used{broker.cpu_us() - before.broker_us, own_cpu_us() - before.client_us};
    print_row(name, plan.connections, report, broker.rss_kib(), used);
    clean = clean && report.failed == 0;
  };
  for (const std::size_t connections : {1, 16, 64}) {
    plan.connections = connections;
    plan.rate_per_second = 0;
    measure("closed loop");
  }
  plan.connections = 64;
  plan.rate_per_second = options.rate;
  measure("open loop " + std::to_string(static_cast<int>(options.rate)) + "/s");
  std::printf("broker peak RSS %.1f MiB\n", static_cast<double>(broker.peak_rss_kib()) / 1024.0);
  clean = check_database(broker.dir() / "data" / "broker.db", serials, received) && clean;
  std::printf("%s\n", clean ? "all answers were 201 and are in the database"
                            : "FAILED: see the lines above");
  return clean ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_options(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "https_load_bench: %s\n", e.what());
    return 1;
  }
}
