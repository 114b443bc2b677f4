#include "tests/support/ssh_process.hpp"

#include "tests/support/files.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>
#include <thread>

namespace jit::testing {
namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const noexcept { return fd_; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& arg : argv) out.push_back(const_cast<char*>(arg.c_str()));
  out.push_back(nullptr);
  return out;
}

// In the child after fork: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const std::vector<char*>& argv, int out_fd, int err_fd) {
  // If the test process dies without running its guards (a crash), the kernel stops the child too.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

bool wait_exited(pid_t pid, int& status, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/')
    throw std::invalid_argument("absolute path required");
  std::array<int, 2> out_pipe{};
  std::array<int, 2> err_pipe{};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  Fd out_read(out_pipe[0]);
  Fd out_write(out_pipe[1]);
  Fd err_read(err_pipe[0]);
  Fd err_write(err_pipe[1]);
  const auto args = c_argv(argv);
  ::setenv("TZ", "UTC", 1);  // inherited by the child; harmless for the test process
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) exec_child(args, out_write.get(), err_write.get());
  out_write.reset();
  err_write.reset();

  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<pollfd, 2> fds{pollfd{out_read.get(), POLLIN, 0}, pollfd{err_read.get(), POLLIN, 0}};
  int open_streams = 2;
  bool timed_out = false;
  while (open_streams > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      std::array<char, 4096> buffer{};
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_streams;
      }
    }
  }
  int status = 0;
  if (timed_out || !wait_exited(pid, status, std::chrono::seconds(5))) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return result;
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

std::filesystem::path ssh_keygen_new_key(const std::filesystem::path& dir, const std::string& name,
                                         const std::vector<std::string>& type_args) {
  const auto path = dir / name;
  std::vector<std::string> argv{"/usr/bin/ssh-keygen", "-q", "-N", "", "-C", name, "-f",
                                path.string()};
  argv.insert(argv.end(), type_args.begin(), type_args.end());
  const ProcessResult result = run_process(argv);
  if (result.exit_code != 0) throw std::runtime_error("ssh-keygen failed: " + result.err);
  return path;
}

ProcessResult ssh_run_with_key(const std::filesystem::path& key, std::uint16_t port,
                               const std::string& user, const std::string& command) {
  return run_process({"/usr/bin/ssh",
                      "-F",
                      "/dev/null",
                      "-i",
                      key.string(),
                      "-o",
                      "IdentitiesOnly=yes",
                      "-o",
                      "StrictHostKeyChecking=no",
                      "-o",
                      "UserKnownHostsFile=/dev/null",
                      "-o",
                      "BatchMode=yes",
                      "-o",
                      "ConnectTimeout=10",
                      "-o",
                      "LogLevel=ERROR",
                      "-p",
                      std::to_string(port),
                      user + "@127.0.0.1",
                      command});
}

std::uint16_t free_loopback_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (fd.get() < 0 ||
      ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t length = sizeof address;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("getsockname failed");
  }
  return ntohs(address.sin_port);
}

namespace {

bool port_accepts(std::uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return fd.get() >= 0 &&
         ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

}  // namespace

SshdGuard::SshdGuard(const std::filesystem::path& config, const std::filesystem::path& log,
                     std::uint16_t port) {
  Fd log_fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log_fd.get() < 0) throw std::runtime_error("cannot open sshd log");
  const std::vector<std::string> argv{"/usr/sbin/sshd", "-D", "-e", "-f", config.string()};
  const auto args = c_argv(argv);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) exec_child(args, log_fd.get(), log_fd.get());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!port_accepts(port)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("sshd exited at start; see " + log.string());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      stop();
      throw std::runtime_error("sshd did not listen; see " + log.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

SshdGuard::~SshdGuard() { stop(); }

void SshdGuard::stop() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  if (!wait_exited(pid_, status, std::chrono::seconds(3))) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  pid_ = -1;
}

CertificateSshd::CertificateSshd(const std::filesystem::path& dir,
                                 const std::string& trusted_ca_keys, const std::string& principal,
                                 const std::string& krl)
    : dir_(dir) {
  // sshd run as root wants its privilege separation folder, which only the package's unit makes.
  if (::geteuid() == 0 && !std::filesystem::exists("/run/sshd")) {
    std::filesystem::create_directories("/run/sshd");
  }
  ssh_keygen_new_key(dir_, "host_key", {"-t", "ed25519"});
  write_text(dir_ / "trusted_ca_keys", trusted_ca_keys);
  write_text(dir_ / "principals", principal + "\n");
  write_text(krl_file(), krl);
  port_ = free_loopback_port();
  write_text(dir_ / "sshd_config",
             "ListenAddress 127.0.0.1\nPort " + std::to_string(port_) + "\nHostKey " +
                 (dir_ / "host_key").string() + "\nPidFile " + (dir_ / "sshd.pid").string() +
                 "\nTrustedUserCAKeys " + (dir_ / "trusted_ca_keys").string() + "\nRevokedKeys " +
                 krl_file().string() + "\nAuthorizedPrincipalsFile " +
                 (dir_ / "principals").string() +
                 "\nAuthorizedKeysFile none\nPasswordAuthentication no\n"
                 "KbdInteractiveAuthentication no\nPermitRootLogin yes\nUsePAM yes\n"
                 "StrictModes no\nUseDNS no\nPrintMotd no\nLogLevel VERBOSE\n");
  guard_ = std::make_unique<SshdGuard>(dir_ / "sshd_config", log_file(), port_);
}

}  // namespace jit::testing
