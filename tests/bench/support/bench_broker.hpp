// A real `jit-broker serve` process for benchmarks, as an operator would run it (the tests'
// BrokerProcess harness): a temporary data folder on disk (SQLite with synchronous writes), a dev
// CA generated at start, a policy of bench users, users enrolled with `jit-broker user enroll` and
// signed in with password + TOTP over HTTPS. Setup calls go through the broker's own HTTP client,
// one connection each.
#pragma once

#include "broker/client/http_client.hpp"
#include "ca/bytes.hpp"
#include "tests/support/broker_process.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace jit::bench {

struct BenchBrokerOptions {
  std::string policy_yaml;         // groups/roles; every member listed is enrolled
  std::vector<std::string> users;  // users to enroll (password testing::kTestPassword)
  std::string extra_config_yaml;   // appended to broker.yaml (mfa, http, limits...)
  // Files written into the broker's folder first, readable by the owner only (e.g. pg.url, the
  // database URL that `user enroll` already needs): path relative to the folder -> content.
  std::map<std::string, std::string> private_files;
  // Runs after the users are enrolled, before `serve` starts (e.g. `ca init --pkcs11`).
  std::function<void(testing::BrokerProcess&)> before_start;
};

class BenchBroker {
 public:
  // Throws std::runtime_error naming the step that failed.
  explicit BenchBroker(BenchBrokerOptions options);
  ~BenchBroker();
  BenchBroker(const BenchBroker&) = delete;
  BenchBroker& operator=(const BenchBroker&) = delete;

  unsigned short port() const { return broker_.port(); }
  pid_t pid() const { return broker_.process().pid(); }
  std::filesystem::path ca_file() const { return broker_.ca_file(); }
  const std::filesystem::path& dir() const { return broker_.dir(); }

  // A TOTP code the user has not used yet (single use per 30 s step; the broker also accepts the
  // next step, so this waits only when a user needs a third code within one step).
  std::string totp(const std::string& user);
  // Signs in with password + TOTP; returns the bearer token.
  std::string login(const std::string& user);
  // One API call; throws unless the status is `expected`.
  boost::json::value call(boost::beast::http::verb method, const std::string& target,
                          const std::string& token, const boost::json::object* body,
                          unsigned expected);

  // Stops `serve` (SIGTERM, killed after 10 s); the folder stays until the destructor.
  void stop();

  // Resident set size of the broker process now, and its peak, in KiB (from /proc).
  std::int64_t rss_kib() const;
  std::int64_t peak_rss_kib() const;
  // CPU time (user + system) the broker process has used so far, in microseconds.
  std::int64_t cpu_us() const;

 private:
  static testing::BrokerConfig config_for(const std::string& extra_config_yaml);
  std::int64_t proc_status_kib(const char* field) const;

  testing::BrokerProcess broker_;
  std::map<std::string, ca::Bytes> secrets_;
  std::map<std::string, std::int64_t> last_step_;
};

}  // namespace jit::bench
