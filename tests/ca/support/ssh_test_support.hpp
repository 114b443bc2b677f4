// Shared helpers for the SSH CA and KRL tests: golden data files, temporary folders and a quick way
// to build CA keys and profiles.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ssh_ca_key.hpp"
#include "ca/ssh_certificate.hpp"

#include <chrono>
#include <filesystem>
#include <string>

namespace jit::ca::testing {

// Text of tests/ca/data/ssh/<name> (see regenerate.sh there).
std::string ssh_test_file(const std::string& name);

// A mkdtemp folder under /tmp, removed with everything in it when the object goes away.
class SshTempDir {
 public:
  SshTempDir();
  SshTempDir(const SshTempDir&) = delete;
  SshTempDir& operator=(const SshTempDir&) = delete;
  ~SshTempDir();
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

std::string read_text_file(const std::filesystem::path& path);
void write_text_file(const std::filesystem::path& path, const std::string& text, int mode = 0644);

// A fixed instant (2030-01-01T00:00:00Z) so that unit tests do not depend on the clock.
inline constexpr std::chrono::sys_seconds kTestNow{std::chrono::seconds{1893456000}};

// A valid profile: serial 42, principal "dbread", one hour from kTestNow, permit-pty.
SshCertificateProfile test_profile();

SshCaKey must_generate(KeyAlgorithm algorithm);

Bytes to_bytes(std::string_view text);

}  // namespace jit::ca::testing
