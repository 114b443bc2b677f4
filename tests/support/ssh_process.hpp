// Runs the real OpenSSH tools for the integration tests: one-shot commands with captured output,
// and an sshd on 127.0.0.1 that is always stopped when its guard goes away, even when a test fails.
#pragma once

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace jit::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or the timeout
  std::string out;
  std::string err;
};

// argv[0] must be an absolute path. TZ=UTC is set for the child so that ssh-keygen prints times in
// UTC; stdin is /dev/null.
ProcessResult run_process(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

// `ssh-keygen -q -N '' -C name -f dir/name <type_args>`: writes dir/name and dir/name.pub and
// returns the private key's path; throws on failure.
std::filesystem::path ssh_keygen_new_key(const std::filesystem::path& dir, const std::string& name,
                                         const std::vector<std::string>& type_args);

// `ssh` to user@127.0.0.1:port with only this key (and its -cert.pub beside it), no config file,
// no known-hosts check, no prompt, a 10 s connect timeout, running command there.
ProcessResult ssh_run_with_key(const std::filesystem::path& key, std::uint16_t port,
                               const std::string& user, const std::string& command);

// A port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_loopback_port();

// /usr/sbin/sshd -D -e -f config, its stderr appended to log. The constructor waits until the port
// accepts connections (throws if sshd exits or does not listen within 10 s); the destructor sends
// SIGTERM, then SIGKILL if needed, and reaps it.
class SshdGuard {
 public:
  SshdGuard(const std::filesystem::path& config, const std::filesystem::path& log,
            std::uint16_t port);
  SshdGuard(const SshdGuard&) = delete;
  SshdGuard& operator=(const SshdGuard&) = delete;
  ~SshdGuard();
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  void stop() noexcept;
  pid_t pid_ = -1;
};

// An sshd on a free loopback port, its files in `dir`, as a host set up for the broker: it trusts
// the user CA keys `trusted_ca_keys` (TrustedUserCAKeys lines), admits a certificate carrying the
// principal `principal` to any account, nothing else (no password, no authorized_keys), and reads
// the KRL at `krl_file()` at every login. `krl` is that file's first content: the caller replaces
// the file to publish a new one.
class CertificateSshd {
 public:
  CertificateSshd(const std::filesystem::path& dir, const std::string& trusted_ca_keys,
                  const std::string& principal, const std::string& krl);
  std::uint16_t port() const { return port_; }
  std::filesystem::path krl_file() const { return dir_ / "revoked.krl"; }
  std::filesystem::path log_file() const { return dir_ / "sshd.log"; }

 private:
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<SshdGuard> guard_;
};

}  // namespace jit::testing
