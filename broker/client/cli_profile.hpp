// What the `jit` command remembers between runs: the broker's URL, the CA file that authenticates
// it, and the session token from `jit login`. Kept in $JIT_CONFIG_DIR, else
// $XDG_CONFIG_HOME/jit, else ~/.config/jit, as session.json with mode 0600 in a 0700 folder.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace jit::broker {

struct CliProfile {
  std::string broker_url = "https://localhost:8443";
  std::optional<std::string> ca_file;  // absent: the system's roots
  std::string user;
  std::string token;
  std::int64_t expires_at = 0;
};

std::filesystem::path cli_config_dir();

// Absent or unreadable file: a default profile. A file that does not parse: std::runtime_error.
CliProfile load_cli_profile(const std::filesystem::path& dir);
// Atomic, 0600. Throws std::runtime_error naming the file when it cannot be written.
void save_cli_profile(const std::filesystem::path& dir, const CliProfile& profile);

}  // namespace jit::broker
