// A real ssh-agent for a test: `ssh-agent -D -a SOCKET` in the foreground (so the test owns its
// process and the destructor ends it), and `ssh-add -l` against it.
#pragma once

#include "tests/support/child_process.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace jit::testing {

// Sets an environment variable for a scope, then puts back what was there (or nothing).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) saved_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (saved_) {
      ::setenv(name_, saved_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

class SshAgentProcess {
 public:
  explicit SshAgentProcess(const std::filesystem::path& dir) : socket_(dir / "agent.sock") {
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/bin/ssh-agent", "-D", "-a", socket_.string()}, dir);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!std::filesystem::exists(socket_) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  [[nodiscard]] bool running() const { return std::filesystem::exists(socket_); }
  [[nodiscard]] const std::filesystem::path& socket() const { return socket_; }
  [[nodiscard]] std::string env() const { return "SSH_AUTH_SOCK=" + socket_.string(); }

  // `ssh-add -l`: {exit code, stdout}. Exit 1 with "The agent has no identities." when empty.
  [[nodiscard]] std::pair<int, std::string> list(const std::filesystem::path& work_dir) const {
    auto [code, out, err] = ChildProcess::run({"/usr/bin/ssh-add", "-l"}, work_dir, {env()});
    return {code, out + err};
  }

 private:
  std::filesystem::path socket_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace jit::testing
