// Runs a program of ours as a separate process, as a user would: arguments, environment additions,
// text on stdin, stdout and stderr captured to files. The destructor kills it if still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace jit::testing {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, const std::filesystem::path& work_dir,
               std::vector<std::string> env = {}, std::string stdin_text = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The exit code (128 + signal when killed), or nullopt if still running after `limit`.
  std::optional<int> wait(std::chrono::milliseconds limit = std::chrono::seconds(30));
  void signal(int sig);
  pid_t pid() const { return pid_; }

  std::string out() const;
  std::string err() const;

  // Waits until stdout contains `text`; false if the process ended or time ran out first.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds limit);

  // Runs to completion and returns {exit code, stdout, stderr}.
  static std::tuple<int, std::string, std::string> run(std::vector<std::string> argv,
                                                       const std::filesystem::path& work_dir,
                                                       std::vector<std::string> env = {},
                                                       std::string stdin_text = {});

 private:
  std::filesystem::path out_file_;
  std::filesystem::path err_file_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace jit::testing
