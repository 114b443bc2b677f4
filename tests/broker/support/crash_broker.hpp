// The broker process of the crash-safety test, on the BrokerProcess harness: the test policy
// without the role's extras, users enrolled with `jit-broker user enroll`, and `jit-broker serve`
// started, killed with SIGKILL and started again on the same data folder and port, so that clients
// reconnect as they would to a real broker. The port is below the kernel's ephemeral range, where
// the port-0 servers of other tests never land, so it stays free while the broker is down.
#pragma once

#include "tests/support/broker_process.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace jit::testing {

class CrashBroker {
 public:
  using Clock = std::chrono::steady_clock;

  // alice and bob request and mint, carol and dave approve (both are needed), frank audits.
  // MFA stays fresh for an hour, so a long run's mints and requests never need a factor; approvals
  // always do.
  CrashBroker() : port_(unused_port()), broker_(crash_policy(), crash_config(port_)) {}
  ~CrashBroker() { kill(); }
  CrashBroker(const CrashBroker&) = delete;
  CrashBroker& operator=(const CrashBroker&) = delete;

  // `user enroll` (the broker must not be running); returns the TOTP secret.
  ca::Bytes enroll(const std::string& user) { return broker_.enroll(user, password(user)); }
  static std::string password(const std::string&) { return std::string(kTestPassword); }

  // Starts `serve` without waiting for it.
  void launch() { broker_.launch(); }
  // Waits for the "listening on" line; throws when the broker does not come up (its stderr in the
  // message).
  void wait_listening() {
    if (!broker_.wait_listening()) {
      throw std::runtime_error("jit-broker did not start: " + broker_.errors());
    }
  }
  void start() {
    launch();
    wait_listening();
  }

  // SIGKILL, then reaps the process: nothing of it runs any more when this returns.
  void kill() { broker_.kill(); }
  // SIGTERM and the exit code of a graceful stop.
  std::optional<int> stop() { return broker_.stop(std::chrono::seconds(30)); }

  // What every broker process so far wrote to stderr.
  std::string errors() const { return broker_.errors(); }

  // `jit-broker ARGS` beside (or instead of) the server: {exit code, stdout, stderr}.
  std::tuple<int, std::string, std::string> admin(std::vector<std::string> args,
                                                  std::string stdin_text = {}) const {
    return broker_.admin(std::move(args), std::move(stdin_text));
  }

  int port() const { return port_; }
  std::filesystem::path database() const { return broker_.database(); }
  std::filesystem::path tls_certificate() const { return broker_.ca_file(); }
  std::string config() const { return broker_.config_file(); }

 private:
  static std::string crash_policy() {
    TestPolicyOptions options;
    options.full_profile = false;
    return test_policy(options);
  }
  static BrokerConfig crash_config(int port) {
    BrokerConfig config;
    config.listen = "127.0.0.1:" + std::to_string(port);
    config.extra_yaml = "mfa:\n  freshness: 1h\n";
    return config;
  }

  // A loopback port that nothing listens on, below the ephemeral range.
  static int unused_port() {
    int ephemeral_low = 32768;
    std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
    std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<int> pick(10000, std::max(10001, ephemeral_low - 1));
    for (int attempt = 0; attempt < 100; ++attempt) {
      const int port = pick(random);
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<std::uint16_t>(port));
      const bool free =
          fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      if (fd >= 0) ::close(fd);
      if (free) return port;
    }
    throw std::runtime_error("no free loopback port below the ephemeral range");
  }

  int port_;  // before broker_, whose config names it
  BrokerProcess broker_;
};

}  // namespace jit::testing
