// Real servers for the X.509 integration tests: a child process that is always stopped (SIGTERM,
// then SIGKILL) when its guard goes out of scope, and a wait for its port (free ports come from
// tests/support/ssh_process.hpp).
#pragma once

#include "tests/support/ssh_process.hpp"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace jit::testing {

class ServerProcess {
 public:
  // Starts argv (PATH lookup, no shell) with stdout and stderr appended to `log`.
  ServerProcess(const std::vector<std::string>& argv, const std::filesystem::path& log);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  [[nodiscard]] bool started() const noexcept { return pid_ > 0; }
  // True while the child has not exited (reaps it if it has).
  [[nodiscard]] bool running();
  // SIGTERM, wait up to `grace`, then SIGKILL; idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

 private:
  pid_t pid_ = -1;
};

// Polls until 127.0.0.1:port accepts a connection; false on timeout or if the child exits.
bool wait_for_loopback_port(int port, ServerProcess& child, std::chrono::milliseconds timeout);

}  // namespace jit::testing
