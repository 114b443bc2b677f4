#include "tests/support/child_process.hpp"

#include "tests/support/files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace jit::testing {
namespace {

// This process's environment with `additions` ("NAME=value") replacing or adding variables.
std::vector<std::string> child_environment(const std::vector<std::string>& additions) {
  std::vector<std::string> out;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    const auto name = variable.substr(0, variable.find('=') + 1);
    const bool replaced = std::any_of(additions.begin(), additions.end(), [&](const auto& add) {
      return std::string_view(add).substr(0, add.find('=') + 1) == name;
    });
    if (!replaced) out.emplace_back(variable);
  }
  out.insert(out.end(), additions.begin(), additions.end());
  return out;
}

// argv/envp for exec: pointers into `strings`, null-terminated.
std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int counter() {
  static int n = 0;
  return ++n;
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, const std::filesystem::path& work_dir,
                           std::vector<std::string> env, std::string stdin_text)
    : out_file_(work_dir / ("child-" + std::to_string(counter()) + ".out")),
      err_file_(out_file_.string() + ".err") {
  const auto in_file = out_file_.string() + ".in";
  std::ofstream(in_file) << stdin_text;
  // Everything the child needs is built here, before fork: the test process has other threads
  // (load clients, servers), and a child that allocates can hang for good on an allocator lock
  // one of them held at the fork (seen with clang 14's ASan allocator). After fork the child
  // makes only async-signal-safe calls.
  auto environment = child_environment(env);
  const auto args = pointers(argv);
  const auto envp = pointers(environment);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int in = ::open(in_file.c_str(), O_RDONLY);
    const int out = ::open(out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (!exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds limit) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ChildProcess::signal(int sig) { ::kill(pid_, sig); }

std::string ChildProcess::out() const { return read_text(out_file_); }
std::string ChildProcess::err() const { return read_text(err_file_); }

bool ChildProcess::wait_for_output(const std::string& text, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (out().find(text) != std::string::npos) return true;
    if (wait(std::chrono::milliseconds(0))) return out().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::tuple<int, std::string, std::string> ChildProcess::run(std::vector<std::string> argv,
                                                            const std::filesystem::path& work_dir,
                                                            std::vector<std::string> env,
                                                            std::string stdin_text) {
  ChildProcess child(std::move(argv), work_dir, std::move(env), std::move(stdin_text));
  const auto code = child.wait();
  return {code.value_or(-1), child.out(), child.err()};
}

}  // namespace jit::testing
