// Real servers for the X.509 integration tests: a child process that is always stopped (SIGTERM,
// then SIGKILL) when its guard goes out of scope, and loopback port helpers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace jit::ca::test {

class ChildProcess {
 public:
  // Starts argv (PATH lookup, no shell) with stdout and stderr appended to `log`.
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] bool started() const noexcept { return pid_ > 0; }
  // True while the child has not exited (reaps it if it has).
  [[nodiscard]] bool running();
  // SIGTERM, wait up to `grace`, then SIGKILL; idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

 private:
  pid_t pid_ = -1;
};

// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int free_loopback_port();

// Polls until 127.0.0.1:port accepts a connection; false on timeout or if the child exits.
bool wait_for_loopback_port(int port, ChildProcess& child, std::chrono::milliseconds timeout);

}  // namespace jit::ca::test
