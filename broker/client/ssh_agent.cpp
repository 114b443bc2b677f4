#include "broker/client/ssh_agent.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

extern char** environ;

namespace jit::broker {
namespace {

class SpawnFileActions {
 public:
  SpawnFileActions() { ok_ = ::posix_spawn_file_actions_init(&actions_) == 0; }
  ~SpawnFileActions() {
    if (ok_) ::posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
  bool ok() const noexcept { return ok_; }
  posix_spawn_file_actions_t* get() noexcept { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
  bool ok_ = false;
};

}  // namespace

bool ssh_agent_configured() {
  const char* socket = std::getenv("SSH_AUTH_SOCK");
  return socket != nullptr && *socket != '\0';
}

std::optional<std::chrono::seconds> agent_lifetime(std::uint64_t valid_before, std::int64_t now) {
  if (now < 0 || valid_before <= static_cast<std::uint64_t>(now)) return std::nullopt;
  // "Forever" certificates (0xFFFF...) do not come from the broker; cap at what ssh-add accepts.
  const std::uint64_t seconds = valid_before - static_cast<std::uint64_t>(now);
  constexpr std::uint64_t kMaxLifetime = 0x7fffffff;
  return std::chrono::seconds(std::min(seconds, kMaxLifetime));
}

std::optional<int> run_program(const std::vector<std::string>& argv) {
  if (argv.empty()) return std::nullopt;
  SpawnFileActions actions;
  if (!actions.ok() ||
      ::posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0) !=
          0 ||
      ::posix_spawn_file_actions_adddup2(actions.get(), STDERR_FILENO, STDOUT_FILENO) != 0) {
    return std::nullopt;
  }
  std::vector<std::string> copies = argv;  // posix_spawn wants char* const[]
  std::vector<char*> args;
  args.reserve(copies.size() + 1);
  for (auto& arg : copies) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), environ) != 0) {
    return std::nullopt;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::nullopt;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

std::optional<int> add_key_to_agent(const std::filesystem::path& key_file,
                                    std::chrono::seconds lifetime) {
  // An absolute path can never be taken for an option.
  return run_program({"ssh-add", "-t", std::to_string(lifetime.count()),
                      std::filesystem::absolute(key_file).string()});
}

std::optional<int> remove_key_from_agent(const std::filesystem::path& key_file) {
  return run_program({"ssh-add", "-d", std::filesystem::absolute(key_file).string()});
}

}  // namespace jit::broker
