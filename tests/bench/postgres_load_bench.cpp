// Certificates per second over HTTPS with the store on PostgreSQL (issue 17; docs/operations.md
// "High availability"), beside the embedded SQLite default: one broker on SQLite, one broker on
// PostgreSQL, and two brokers of one deployment on one PostgreSQL with the load split evenly
// between them. Keep-alive clients mint OpenSSH user certificates (POST /v1/grants/{id}/ssh-cert)
// in a closed loop at 16 and 64 connections; every 201 is durable (committed, fsynced by the
// database) and audited before it is sent. Reports certificates/s and p50/p99/p999 latency, then
// checks from the database that every certificate a client received is recorded once with its
// audit record. Everything (PostgreSQL, the brokers, the clients) shares this machine's cores.
// Prints figures and never fails on timing; it fails only when a broker misbehaves.
//
//   postgres_load_bench [--quick] [--seconds S]
#include "broker/auth/data_key.hpp"
#include "broker/auth/derived_keys.hpp"
#include "broker/store/store.hpp"
#include "support/bench_broker.hpp"
#include "support/load_client.hpp"
#include "support/ssh_key_lines.hpp"
#include "tests/support/files.hpp"
#include "tests/support/postgres_server.hpp"

#include <sys/stat.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace jit;
namespace json = boost::json;
namespace http = boost::beast::http;

struct Options {
  bool quick = false;
  std::size_t users = 8;  // each holds grants/users of the grants
  std::size_t grants = 64;
  int seconds = 10;
  double rate = 2000;  // the open-loop row: calls per second over all brokers
};

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      // The CTest run that keeps the benchmark working: PostgreSQL only (https_load_bench runs
      // SQLite), few users to enrol, one short row per set-up.
      options.quick = true;
      options.users = 2;
      options.grants = 8;
      options.seconds = 1;
    } else if (arg == "--seconds" && i + 1 < argc) {
      options.seconds = std::stoi(argv[++i]);
    } else if (arg == "--rate" && i + 1 < argc) {
      options.rate = std::stod(argv[++i]);
    } else {
      throw std::runtime_error("usage: postgres_load_bench [--quick] [--seconds S] [--rate R]");
    }
  }
  return options;
}

std::string user_name(std::size_t i) { return "load" + std::to_string(i); }

std::string policy_yaml(std::size_t users) {
  std::string members;
  for (std::size_t i = 0; i < users; ++i) members += (i ? ", " : "") + user_name(i);
  return "groups: { engineers: [" + members + "], leads: [lead] }\n" +
         "roles:\n"
         "  load:\n"
         "    requestable_by: [engineers]\n"
         "    approvers: [leads]\n"
         "    approvals_required: 0\n"
         "    auto_approve: true\n"
         "    max_duration: 8h\n"
         "    ssh: { principals: [load] }\n";
}

// What both brokers of a deployment say besides the listen address.
std::string config_yaml(bool postgres) {
  // The sign-in's MFA stays fresh for the whole run, so mints need no second factor; every load
  // connection comes from 127.0.0.1, so the per-source cap is lifted above the 64 used.
  std::string yaml = "mfa:\n  freshness: 1h\nhttp:\n  max_connections_per_source: 1024\n";
  if (postgres) yaml += "store: {backend: postgresql, url_file: pg.url}\n";
  return yaml;
}

void write_url_file(const testing::BrokerProcess& broker, const std::string& url) {
  testing::write_text(broker.dir() / "pg.url", url + "\n");
  ::chmod((broker.dir() / "pg.url").c_str(), 0600);
}

struct Grant {
  std::string id;
  std::string authorization;
};

// The reports of clients that ran side by side, one per broker, as one.
bench::LoadReport combined(const std::vector<bench::LoadReport>& reports) {
  bench::LoadReport all;
  for (const auto& report : reports) {
    all.completed += report.completed;
    all.failed += report.failed;
    all.answered += report.answered;
    all.seconds = std::max(all.seconds, report.seconds);
    if (all.first_failure.empty()) all.first_failure = report.first_failure;
    all.latencies_us.insert(all.latencies_us.end(), report.latencies_us.begin(),
                            report.latencies_us.end());
  }
  std::sort(all.latencies_us.begin(), all.latencies_us.end());
  return all;
}

// One deployment: `brokers` brokers (1 or 2) on SQLite or on a new PostgreSQL database.
bool run_setup(const std::string& name, testing::PostgresServer* postgres, int brokers,
               const Options& options) {
  const std::string url = postgres ? postgres->url(postgres->create_database()) : std::string();
  bench::BenchBrokerOptions broker_options;
  broker_options.policy_yaml = policy_yaml(options.users);
  for (std::size_t i = 0; i < options.users; ++i) broker_options.users.push_back(user_name(i));
  broker_options.users.push_back("lead");
  broker_options.extra_config_yaml = config_yaml(postgres != nullptr);
  if (postgres) broker_options.private_files["pg.url"] = url + "\n";
  auto first = std::make_unique<bench::BenchBroker>(broker_options);
  std::vector<Grant> grants;
  for (std::size_t i = 0; i < options.users; ++i) {
    const std::string token = first->login(user_name(i));
    for (std::size_t g = i; g < options.grants; g += options.users) {
      json::object body{{"role", "load"}, {"reason", "load test"}, {"duration", "8h"}};
      auto answer = first->call(http::verb::post, "/v1/requests", token, &body, 201);
      grants.push_back({std::string(answer.at("grant").at("id").as_string()), "Bearer " + token});
    }
  }
  // The second broker of the deployment: the same data key and CA keys (a copy of the data
  // folder), the same database; sessions and grants are in the database, so the tokens work there.
  std::unique_ptr<testing::BrokerProcess> second;
  if (brokers == 2) {
    second = std::make_unique<testing::BrokerProcess>(
        policy_yaml(options.users),
        testing::BrokerConfig{"127.0.0.1:0", "data", config_yaml(true)});
    write_url_file(*second, url);
    std::filesystem::copy(first->dir() / "data", second->dir() / "data",
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
    second->start();
  }
  std::vector<unsigned short> ports{first->port()};
  if (second) ports.push_back(second->port());

  std::vector<std::string> key_bodies;
  for (int i = 0; i < 64; ++i) {
    key_bodies.push_back(
        json::serialize(json::object{{"public_key", bench::new_ssh_public_key_line()}}));
  }
  std::mutex serials_mutex;
  std::set<std::uint64_t> serials;
  std::uint64_t received = 0;
  bool clean = true;
  // Closed loops at 16 and 64 connections, then an open loop at `rate` calls a second (latency
  // counted from when each call was due). --quick (the CTest run that keeps the benchmark
  // working) measures one row per set-up.
  struct Row {
    std::size_t connections;
    double rate;
  };
  const std::vector<Row> plan_rows = options.quick
                                         ? std::vector<Row>{{16, 0}}
                                         : std::vector<Row>{{16, 0}, {64, 0}, {64, options.rate}};
  for (const Row& row : plan_rows) {
    const std::size_t connections = row.connections;
    const double rate = row.rate;
    std::vector<bench::LoadReport> reports(ports.size());
    std::vector<std::thread> clients;
    for (std::size_t b = 0; b < ports.size(); ++b) {
      clients.emplace_back([&, b] {
        bench::LoadPlan plan;
        plan.server = {boost::asio::ip::make_address("127.0.0.1"), ports[b]};
        plan.ca_file = first->ca_file();
        plan.connections = connections / ports.size();
        plan.rate_per_second = rate / static_cast<double>(ports.size());
        plan.warmup = std::chrono::milliseconds(options.quick ? 200 : 1000);
        plan.duration = std::chrono::seconds(options.seconds);
        plan.next_call = [&, b](std::size_t connection, std::uint64_t sequence) {
          const auto& grant = grants[(connection * 7919 + sequence + b) % grants.size()];
          return bench::LoadCall{"/v1/grants/" + grant.id + "/ssh-cert",
                                 key_bodies[sequence % key_bodies.size()], grant.authorization};
        };
        plan.on_answer = [&](const std::string& body) {
          const auto serial = json::parse(body).at("serial").to_number<std::uint64_t>();
          std::lock_guard lock(serials_mutex);
          ++received;
          serials.insert(serial);
        };
        reports[b] = bench::run_load(plan);
      });
    }
    for (auto& client : clients) client.join();
    const auto report = combined(reports);
    const std::string label =
        rate > 0 ? name + " @" + std::to_string(static_cast<int>(rate)) + "/s" : name;
    std::printf("%-34s %7d %5zu %8.0f %8.2f %8.2f %8.2f %6llu\n", label.c_str(), brokers,
                connections, report.rate(), report.percentile_ms(0.50), report.percentile_ms(0.99),
                report.percentile_ms(0.999), static_cast<unsigned long long>(report.failed));
    if (!report.first_failure.empty()) {
      std::printf("  first failure: %s\n", report.first_failure.c_str());
    }
    std::fflush(stdout);
    clean = clean && report.failed == 0;
  }
  if (second) second->stop();
  first->stop();  // the checks below open the database themselves
  const auto data_dir = first->dir() / "data";

  const auto audit_key =
      broker::audit_chain_key(broker::load_or_create_data_key(data_dir / "data.key"));
  auto store = postgres ? broker::Store::open_postgresql(url, audit_key)
                        : broker::Store::open(data_dir / "broker.db", audit_key);
  const auto [rows, distinct, audited, missing] = store->read([&](broker::db::Connection& db) {
    broker::db::Statement counts(
        db, "SELECT count(*), count(DISTINCT serial) FROM certificates WHERE kind = 'ssh'");
    counts.step();
    broker::db::Statement audits(db,
                                 "SELECT count(*) FROM audit WHERE action = 'certificate.issue'");
    audits.step();
    broker::db::Statement find(db, "SELECT 1 FROM certificates WHERE kind = 'ssh' AND serial = ?");
    std::size_t not_found = 0;
    for (const auto serial : serials) {
      find.reset();
      find.bind(1, std::to_string(serial));
      if (!find.step()) ++not_found;
    }
    return std::tuple{counts.get_int64(0), counts.get_int64(1), audits.get_int64(0), not_found};
  });
  const auto verified = store->read([&](broker::db::Connection& db) {
    return broker::verify_audit_chain(db, store->audit_key());
  });
  std::printf(
      "  database: %lld SSH certificates (%lld distinct serials), %lld issue audit records, audit "
      "chain %s; answers %llu (%zu distinct serials), missing from the database %zu\n",
      static_cast<long long>(rows), static_cast<long long>(distinct),
      static_cast<long long>(audited), verified.ok ? "verifies" : "BROKEN",
      static_cast<unsigned long long>(received), serials.size(), missing);
  return clean && missing == 0 && rows == distinct && audited == rows && verified.ok &&
         serials.size() == received;
}

int run(const Options& options) {
  testing::PostgresServer postgres;
  std::printf(
      "PostgreSQL 15 on 127.0.0.1:%u (fsync on), brokers and clients on one machine, "
      "%zu grants, %d s per row\n",
      postgres.port(), options.grants, options.seconds);
  std::printf("%-34s %7s %5s %8s %8s %8s %8s %6s\n", "store", "brokers", "conns", "certs/s",
              "p50 ms", "p99 ms", "p999 ms", "failed");
  bool clean = options.quick || run_setup("SQLite (embedded default)", nullptr, 1, options);
  clean = run_setup("PostgreSQL", &postgres, 1, options) && clean;
  clean = run_setup("PostgreSQL", &postgres, 2, options) && clean;
  std::printf("%s\n", clean ? "all answers were 201 and are in the database"
                            : "FAILED: see the lines above");
  return clean ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_options(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "postgres_load_bench: %s\n", e.what());
    return 1;
  }
}
