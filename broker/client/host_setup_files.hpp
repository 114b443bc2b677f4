// What `jit host-setup` writes and prints for a host (docs/operations.md, "Host set-up"): where
// each file goes under the output folder, the AuthorizedPrincipalsFile content per account, the
// sshd_config and nginx lines, and the systemd units and cron line that run `jit host-refresh`.
// Pure text: no I/O here, so every rule is testable without a broker (jit_host_commands.cpp does
// the fetching and writing).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::broker {

// The paths both commands share, as given on the command line (absent: the default under out).
struct HostPathOptions {
  std::filesystem::path out = "/etc/jit";
  bool ssh = false;    // TrustedUserCAKeys, RevokedKeys, AuthorizedPrincipalsFile
  bool nginx = false;  // ssl_client_certificate, ssl_crl
  std::optional<std::filesystem::path> trusted_ca_file;
  std::optional<std::filesystem::path> krl_file;
  std::optional<std::filesystem::path> principals_dir;
  std::optional<std::filesystem::path> x509_ca_file;
  std::optional<std::filesystem::path> crl_file;
};

// Every path absolute. Defaults: OUT/ssh/trusted_user_ca_keys.pub, OUT/ssh/revoked_keys.krl,
// OUT/ssh/auth_principals/ (one file per account, sshd's %u), OUT/nginx/client_ca_chain.pem,
// OUT/nginx/client_crl.pem. Each list's ETag is kept in the list's path + ".etag".
struct HostPaths {
  std::filesystem::path out;
  std::filesystem::path trusted_ca_file;
  std::filesystem::path krl_file;
  std::filesystem::path principals_dir;
  std::filesystem::path x509_ca_file;
  std::filesystem::path crl_file;
};
[[nodiscard]] HostPaths host_paths(const HostPathOptions& options);
[[nodiscard]] std::filesystem::path etag_path(const std::filesystem::path& list_file);

// A path, command or URL that goes into sshd_config, nginx.conf, a unit or a crontab unquoted:
// letters, digits and / . _ - + , : @ = only (no spaces, quotes, %, $, ;, braces or newlines,
// which each of those formats would read differently). An empty text is not config-safe.
[[nodiscard]] bool is_config_safe(std::string_view text);

// `--principals account=principal1,principal2` items, merged per account (repeating an account
// adds principals). An account is a Unix user name ([a-z_][a-z0-9_.-]*, at most 32 characters);
// a principal is 1 to 256 visible ASCII characters without a comma. Returns the problem, naming
// the item, when one is malformed.
struct PrincipalsParse {
  std::map<std::string, std::vector<std::string>> accounts;  // principals in the order given
  std::string problem;                                       // empty when all items are fine
};
[[nodiscard]] PrincipalsParse parse_principals_options(const std::vector<std::string>& items);
// The file sshd reads for one account: one principal a line.
[[nodiscard]] std::string principals_file_text(const std::vector<std::string>& principals);

// The lines for sshd_config and for an nginx `server` block, without comments.
[[nodiscard]] std::string sshd_config_lines(const HostPaths& paths);
[[nodiscard]] std::string nginx_lines(const HostPaths& paths);

// How the timer (or cron) runs the refresh: the `jit` binary, the broker and its TLS CA file, the
// parts and paths, and the command run after the CRL changed (nginx reads ssl_crl only when it
// loads its configuration).
struct RefreshCommand {
  std::filesystem::path jit_binary;
  std::string broker_url;
  std::optional<std::filesystem::path> ca_file;
  HostPaths paths;
  bool ssh = false;
  bool nginx = false;
  std::string after_crl_change;  // empty: none
};
// The argv of `jit ... host-refresh ...`; every element is config-safe or this is not called
// (refresh_command_problem first).
[[nodiscard]] std::vector<std::string> refresh_argv(const RefreshCommand& command);
// Empty when every part of the command can go into a unit and a crontab; else the problem.
[[nodiscard]] std::string refresh_command_problem(const RefreshCommand& command);

inline constexpr std::string_view kRefreshUnitName = "jit-host-refresh";
[[nodiscard]] std::string systemd_service_unit(const RefreshCommand& command);
[[nodiscard]] std::string systemd_timer_unit(std::chrono::seconds interval);
// An /etc/cron.d line (with the user field), every minute.
[[nodiscard]] std::string cron_line(const RefreshCommand& command);

}  // namespace jit::broker
