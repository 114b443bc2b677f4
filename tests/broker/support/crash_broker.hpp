// The broker process of the crash-safety test: its config and policy in a temporary folder, users
// enrolled with `jit-broker user enroll`, and `jit-broker serve` started, killed with SIGKILL and
// started again on the same data folder and port, so that clients reconnect as they would to a
// real broker. The port is below the kernel's ephemeral range, where the port-0 servers of other
// tests never land, so it stays free while the broker is down.
#pragma once

#include "approvals/totp.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace jit::testing {

// alice and bob request and mint, carol and dave approve (both are needed), frank audits. Grants
// last seconds, so that some of them end while the broker is down.
inline constexpr std::string_view kCrashPolicy = R"yaml(
groups: { developers: [alice, bob], sre-leads: [carol, dave], auditors: [frank] }
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [sre-leads]
    approvals_required: 2
    max_duration: 1h
    ssh: { principals: [dbread] }
)yaml";

// MFA stays fresh for an hour, so a long run's mints and requests never need a factor; approvals
// always do.
inline constexpr std::string_view kCrashConfig = R"yaml(data_dir: data
policy_file: policy.yaml
tls:
  dev_tls: true
ca:
  generate_missing: true
mfa:
  freshness: 1h
)yaml";

class CrashBroker {
 public:
  using Clock = std::chrono::steady_clock;

  CrashBroker() : port_(unused_port()) {
    std::ofstream(dir_ / "policy.yaml") << kCrashPolicy;
    std::ofstream(dir_ / "broker.yaml") << "listen: \"127.0.0.1:" << port_ << "\"\n"
                                        << kCrashConfig;
  }
  ~CrashBroker() { kill(); }
  CrashBroker(const CrashBroker&) = delete;
  CrashBroker& operator=(const CrashBroker&) = delete;

  // `user enroll` (the broker must not be running); returns the TOTP secret.
  ca::Bytes enroll(const std::string& user) {
    auto [code, out, err] = admin({"user", "enroll", user}, password(user) + "\n");
    if (code != 0) throw std::runtime_error("enroll " + user + ": " + err);
    const auto start = out.find("secret=") + 7;
    auto secret = approvals::base32_decode(out.substr(start, out.find('&', start) - start));
    if (!secret) throw std::runtime_error("enroll " + user + ": no secret in " + out);
    return *secret;
  }
  // 12 characters or more and no user's name (approvals/password_rules.hpp).
  static std::string password(const std::string&) { return "correct horse battery staple"; }

  // Starts `serve` without waiting for it.
  void launch() {
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{binary(), "--config", config(), "serve"}, dir_.path());
  }
  // Waits for the "listening on" line; throws when the broker does not come up (its stderr in the
  // message).
  void wait_listening() {
    if (!process_ || !process_->wait_for_output("listening on", std::chrono::seconds(30))) {
      throw std::runtime_error("jit-broker did not start: " + (process_ ? process_->err() : ""));
    }
  }
  void start() {
    launch();
    wait_listening();
  }

  // SIGKILL, then reaps the process: nothing of it runs any more when this returns.
  void kill() {
    if (!process_) return;
    process_->signal(SIGKILL);
    process_->wait(std::chrono::seconds(30));
    end_process();
  }

  // SIGTERM and the exit code of a graceful stop.
  std::optional<int> stop() {
    if (!process_) return std::nullopt;
    process_->signal(SIGTERM);
    auto code = process_->wait(std::chrono::seconds(30));
    end_process();
    return code;
  }

  // What every broker process so far wrote to stderr.
  std::string errors() const { return errors_ + (process_ ? process_->err() : ""); }

  // `jit-broker ARGS` beside (or instead of) the server: {exit code, stdout, stderr}.
  std::tuple<int, std::string, std::string> admin(std::vector<std::string> args,
                                                  std::string stdin_text = {}) const {
    args.insert(args.begin(), {binary(), "--config", config()});
    return ChildProcess::run(std::move(args), dir_.path(), {}, std::move(stdin_text));
  }

  int port() const { return port_; }
  std::filesystem::path database() const { return dir_ / "data" / "broker.db"; }
  std::filesystem::path tls_certificate() const { return dir_ / "data" / "tls" / "server.crt"; }
  std::string config() const { return (dir_ / "broker.yaml").string(); }
  static std::string binary() { return std::string(JIT_BUILD_DIR) + "/broker/jit-broker"; }

 private:
  void end_process() {
    errors_ += process_->err();
    process_.reset();
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

  TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
  std::string errors_;
};

}  // namespace jit::testing
