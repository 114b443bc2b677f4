#include "broker/client/host_setup_files.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <system_error>

namespace jit::broker {
namespace {

namespace fs = std::filesystem;

fs::path absolute_or_given(const fs::path& path) {
  std::error_code ec;
  auto absolute = fs::absolute(path, ec);
  return ec ? path : absolute.lexically_normal();
}

fs::path chosen_path(const std::optional<fs::path>& given, const fs::path& fallback) {
  return absolute_or_given(given ? *given : fallback);
}

bool is_config_safe_char(unsigned char c) {
  return std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '-' || c == '+' || c == ',' ||
         c == ':' || c == '@' || c == '=';
}

// The after-change command also allows spaces between its words: it is quoted as a whole.
bool is_command_safe(std::string_view text) {
  if (text.empty() || text.front() == ' ' || text.back() == ' ') return false;
  for (unsigned char c : text) {
    if (!is_config_safe_char(c) && c != ' ') return false;
  }
  return true;
}

bool is_unix_account(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  if (!(std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  for (unsigned char c : name) {
    if (!(std::islower(c) || std::isdigit(c) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

bool is_principal(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c >= 0x7f || c == ',') return false;
  }
  return true;
}

// One argv element in an ExecStart line: as is, or in double quotes when it holds spaces.
std::string unit_argument(const std::string& word) {
  return word.find(' ') == std::string::npos ? word : "\"" + word + "\"";
}

// One argv element in a crontab line (run by /bin/sh): as is, or in single quotes.
std::string cron_argument(const std::string& word) {
  return word.find(' ') == std::string::npos ? word : "'" + word + "'";
}

}  // namespace

HostPaths host_paths(const HostPathOptions& options) {
  HostPaths paths;
  paths.out = absolute_or_given(options.out);
  paths.trusted_ca_file =
      chosen_path(options.trusted_ca_file, paths.out / "ssh" / "trusted_user_ca_keys.pub");
  paths.krl_file = chosen_path(options.krl_file, paths.out / "ssh" / "revoked_keys.krl");
  paths.principals_dir = chosen_path(options.principals_dir, paths.out / "ssh" / "auth_principals");
  paths.x509_ca_file =
      chosen_path(options.x509_ca_file, paths.out / "nginx" / "client_ca_chain.pem");
  paths.crl_file = chosen_path(options.crl_file, paths.out / "nginx" / "client_crl.pem");
  return paths;
}

fs::path etag_path(const fs::path& list_file) {
  auto path = list_file;
  path += ".etag";
  return path;
}

bool is_config_safe(std::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    if (!is_config_safe_char(c)) return false;
  }
  return true;
}

PrincipalsParse parse_principals_options(const std::vector<std::string>& items) {
  PrincipalsParse parsed;
  for (const auto& item : items) {
    const auto equals = item.find('=');
    const std::string_view account = equals == std::string::npos
                                         ? std::string_view(item)
                                         : std::string_view(item).substr(0, equals);
    if (equals == std::string::npos || !is_unix_account(account)) {
      parsed.problem = "--principals '" + item +
                       "': expected ACCOUNT=PRINCIPAL[,PRINCIPAL...] with a Unix account name";
      return parsed;
    }
    auto& principals = parsed.accounts[std::string(account)];
    std::string_view rest = std::string_view(item).substr(equals + 1);
    for (;;) {
      const auto comma = rest.find(',');
      const auto principal = rest.substr(0, comma);
      if (!is_principal(principal)) {
        parsed.problem = "--principals '" + item +
                         "': a principal is 1 to 256 visible ASCII characters without a comma";
        return parsed;
      }
      if (std::find(principals.begin(), principals.end(), principal) == principals.end())
        principals.emplace_back(principal);
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  return parsed;
}

std::string principals_file_text(const std::vector<std::string>& principals) {
  std::string text;
  for (const auto& principal : principals) text += principal + "\n";
  return text;
}

std::string sshd_config_lines(const HostPaths& paths) {
  // %u: sshd reads the file named after the account being logged into.
  return "TrustedUserCAKeys " + paths.trusted_ca_file.string() + "\nRevokedKeys " +
         paths.krl_file.string() + "\nAuthorizedPrincipalsFile " +
         (paths.principals_dir / "%u").string() + "\n";
}

std::string nginx_lines(const HostPaths& paths) {
  // Depth 2: client certificate, issuing CA, root (the chain the broker serves).
  return "ssl_client_certificate " + paths.x509_ca_file.string() + ";\nssl_crl " +
         paths.crl_file.string() + ";\nssl_verify_client on;\nssl_verify_depth 2;\n";
}

std::vector<std::string> refresh_argv(const RefreshCommand& command) {
  std::vector<std::string> argv{command.jit_binary.string(), "--broker", command.broker_url};
  if (command.ca_file) {
    argv.push_back("--ca-file");
    argv.push_back(absolute_or_given(*command.ca_file).string());
  }
  argv.insert(argv.end(), {"host-refresh", "--out", command.paths.out.string()});
  if (command.ssh)
    argv.insert(argv.end(), {"--ssh", "--krl-file", command.paths.krl_file.string()});
  if (command.nginx) {
    argv.insert(argv.end(), {"--nginx", "--x509-ca-file", command.paths.x509_ca_file.string(),
                             "--crl-file", command.paths.crl_file.string()});
    if (!command.after_crl_change.empty())
      argv.insert(argv.end(), {"--after-crl-change", command.after_crl_change});
  }
  return argv;
}

std::string refresh_command_problem(const RefreshCommand& command) {
  if (!command.jit_binary.is_absolute() || !is_config_safe(command.jit_binary.string()))
    return "the jit binary's path " + command.jit_binary.string() + " cannot go into a unit";
  if (!is_config_safe(command.broker_url))
    return "the broker URL " + command.broker_url + " cannot go into a unit";
  if (!command.after_crl_change.empty() && !is_command_safe(command.after_crl_change))
    return "--after-crl-change may hold only letters, digits, spaces and / . _ - + , : @ =";
  const auto argv = refresh_argv(command);
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (i > 0 && argv[i - 1] == "--after-crl-change") continue;
    if (!is_config_safe(argv[i]))
      return "the path " + argv[i] +
             " cannot go into a unit or crontab (only letters, digits and / . _ - + , : @ =)";
  }
  return {};
}

std::string systemd_service_unit(const RefreshCommand& command) {
  std::string exec;
  for (const auto& word : refresh_argv(command))
    exec += (exec.empty() ? "" : " ") + unit_argument(word);
  // The system is read-only for the service but for the folders its lists are replaced in (a
  // temporary file beside each, then a rename). "-": a folder of a part not set up may be missing.
  std::set<std::string> writable;
  if (command.ssh) writable.insert(command.paths.krl_file.parent_path().string());
  if (command.nginx) writable.insert(command.paths.crl_file.parent_path().string());
  std::string read_write;
  for (const auto& folder : writable) read_write += " -" + folder;
  return "# Written by `jit host-setup`: refreshes the broker's revocation lists on this host.\n"
         "[Unit]\n"
         "Description=Refresh the jitbroker revocation lists (KRL, CRL)\n"
         "Wants=network-online.target\n"
         "After=network-online.target\n"
         "\n"
         "[Service]\n"
         "Type=oneshot\n"
         "ExecStart=" +
         exec +
         "\n"
         "NoNewPrivileges=yes\n"
         "PrivateTmp=yes\n"
         "ProtectSystem=full\n"
         "ProtectHome=read-only\n" +
         (read_write.empty() ? std::string() : "ReadWritePaths=" + read_write.substr(1) + "\n");
}

std::string systemd_timer_unit(std::chrono::seconds interval) {
  const std::string every = std::to_string(interval.count()) + "s";
  return "# Written by `jit host-setup`: runs " + std::string(kRefreshUnitName) +
         ".service every " + every +
         ".\n"
         "[Unit]\n"
         "Description=Refresh the jitbroker revocation lists every " +
         every +
         "\n"
         "\n"
         "[Timer]\n"
         "OnBootSec=10s\n"
         "OnUnitActiveSec=" +
         every +
         "\n"
         "AccuracySec=1s\n"
         "\n"
         "[Install]\n"
         "WantedBy=timers.target\n";
}

std::string cron_line(const RefreshCommand& command) {
  std::string line = "* * * * * root";
  for (const auto& word : refresh_argv(command)) line += " " + cron_argument(word);
  return line + "\n";
}

}  // namespace jit::broker
