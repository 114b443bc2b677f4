// The one harness for tests that run the shipped `jit-broker` as a separate process, as an operator
// would: a temporary folder holding policy.yaml and broker.yaml (dev TLS, CA keys generated on
// first use), admin commands such as `user enroll`, and `serve` started, stopped or killed. Tests
// and benchmarks build what they need on it (RunningBroker, the crash test's broker, the bench
// broker).
#pragma once

#include "ca/bytes.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_policy.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace jit::testing {

// What broker.yaml says besides dev TLS and generated CA keys.
struct BrokerConfig {
  std::string listen = "127.0.0.1:0";  // port 0: the system picks one, port() reads it
  std::string data_dir = "data";       // relative to the broker's folder
  std::string extra_yaml;              // appended as is (mfa:, http:, webhooks:, limits...)
};

// The path of a binary of this build: JIT_BUILD_DIR/broker/<name>.
std::string broker_binary(const std::string& name = "jit-broker");

// The two shipped binaries the process tests run, and the openssl they check answers with.
inline const std::string kBrokerBinary = broker_binary("jit-broker");
inline const std::string kJitBinary = broker_binary("jit");
inline constexpr const char* kOpensslBinary = "/usr/bin/openssl";

// The port of `jit-broker serve`'s "listening on https://127.0.0.1:PORT/ ..." line in `out`; 0
// when there is none.
unsigned short listening_port(const std::string& out);

class BrokerProcess {
 public:
  // Writes the two files; nothing runs yet.
  explicit BrokerProcess(const std::string& policy_yaml = test_policy(),
                         const BrokerConfig& config = {});
  // A broker still running gets SIGTERM and 10 s to stop, then SIGKILL.
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  // Replace the files (for a restart, or a config a test varies).
  void write_config(const BrokerConfig& config);
  void write_policy(const std::string& policy_yaml);

  const std::filesystem::path& dir() const { return dir_.path(); }
  std::string config_file() const { return (dir_ / "broker.yaml").string(); }
  std::filesystem::path database() const { return dir_ / "data" / "broker.db"; }
  std::filesystem::path ca_file() const { return dir_ / "data" / "tls" / "server.crt"; }

  // `jit-broker --config broker.yaml ARGS...` to completion: {exit code, stdout, stderr}.
  std::tuple<int, std::string, std::string> admin(std::vector<std::string> args,
                                                  std::string stdin_text = {},
                                                  std::vector<std::string> env = {}) const;
  // `user enroll USER` (the password on stdin); returns the TOTP secret of the otpauth URI it
  // prints. Throws std::runtime_error with the command's stderr when enrolment fails.
  ca::Bytes enroll(const std::string& user,
                   const std::string& password = std::string(kTestPassword));

  // Starts `serve` (with `env` additions, "NAME=value") without waiting for it.
  ChildProcess& launch(std::vector<std::string> env = {});
  // Waits for the "listening on" line and reads the port; false when it did not come within
  // `limit` (the process ended or is still starting).
  bool wait_listening(std::chrono::milliseconds limit = std::chrono::seconds(30));
  // launch() and wait_listening(); throws std::runtime_error with the broker's stderr when it does
  // not come up.
  void start(std::vector<std::string> env = {});

  // SIGTERM and the exit code of the graceful stop (nullopt when it did not stop within `limit`:
  // then it is killed). Nothing of the process runs when this returns.
  std::optional<int> stop(std::chrono::milliseconds limit = std::chrono::seconds(15));
  // SIGKILL, then reaps the process.
  void kill();
  // True while `serve` runs (it has not crashed or exited).
  bool running();

  // The `serve` process; launch() first.
  ChildProcess& process() { return *process_; }
  const ChildProcess& process() const { return *process_; }
  unsigned short port() const { return port_; }
  // What every `serve` process so far wrote to stderr.
  std::string errors() const;

 private:
  void end_process();

  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;  // declared after dir_: stopped before it is removed
  unsigned short port_ = 0;
  std::string errors_;
};

}  // namespace jit::testing
