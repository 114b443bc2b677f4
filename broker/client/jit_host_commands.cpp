#include "broker/client/jit_host_commands.hpp"

#include "broker/client/host_file_update.hpp"
#include "broker/client/host_list_checks.hpp"
#include "broker/client/ssh_agent.hpp"
#include "ca/atomic_file.hpp"
#include "ca/krl.hpp"

#include <ostream>
#include <system_error>

namespace jit::broker {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxCaFileBytes = 1024 * 1024;
constexpr std::size_t kMaxCrlBundleBytes = 16 * 1024 * 1024;

BrokerFile krl_file_source(const HostPaths& paths) {
  return {"KRL",
          "/v1/ca/ssh/krl",
          paths.krl_file,
          true,
          ca::kMaxKrlBytes,
          [](std::string_view fetched, std::optional<std::string_view> installed) {
            return krl_problem(fetched, installed);
          }};
}

// The CRLs are checked against the CA file nginx uses, which must therefore be written first.
BrokerFile crl_file_source(const HostPaths& paths) {
  return {"CRL",
          "/v1/ca/x509/crl?format=pem-bundle",
          paths.crl_file,
          true,
          kMaxCrlBundleBytes,
          [chain_file = paths.x509_ca_file](std::string_view fetched,
                                            std::optional<std::string_view> installed) {
            const auto chain = ca::read_file(chain_file, kMaxCaFileBytes);
            if (!chain) return "cannot read the CA file " + chain_file.string();
            return crl_bundle_problem(fetched, ca::as_chars(*chain), installed);
          }};
}

bool parts_chosen(const HostPathOptions& paths, std::ostream& err) {
  if (paths.ssh || paths.nginx) return true;
  err << "jit: give --ssh, --nginx or both\n";
  return false;
}

fs::path own_binary() {
  std::error_code ec;
  auto path = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path("/usr/local/bin/jit") : path;
}

bool write_public_file(const fs::path& path, std::string_view text, std::ostream& err) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ca::write_file_atomically(path, ca::as_bytes(text), 0644)) return true;
  err << "jit: cannot write " << path.string() << "\n";
  return false;
}

// One file per account under the principals folder; other accounts' files are left alone.
bool write_principals(const HostPaths& paths, const PrincipalsParse& principals,
                      std::ostream& err) {
  bool ok = true;
  for (const auto& [account, names] : principals.accounts) {
    ok = write_public_file(paths.principals_dir / account, principals_file_text(names), err) && ok;
  }
  return ok;
}

// The paths that go into sshd_config and nginx.conf but not into the refresh command.
std::string printed_paths_problem(const HostPaths& paths) {
  for (const auto* path : {&paths.trusted_ca_file, &paths.principals_dir}) {
    if (!is_config_safe(path->string()))
      return "the path " + path->string() +
             " cannot go into sshd_config (only letters, digits and / . _ - + , : @ =)";
  }
  return {};
}

void print_lines(const HostPaths& paths, const HostPathOptions& parts, const fs::path& units,
                 const PrincipalsParse& principals, std::ostream& out, std::ostream& err) {
  if (parts.ssh) {
    out << "# sshd_config\n" << sshd_config_lines(paths);
    if (parts.nginx) out << "\n";
    if (principals.accounts.empty()) {
      err << "note: no --principals given: no account accepts certificates until "
          << (paths.principals_dir / "ACCOUNT").string() << " lists the principals it accepts\n";
    }
  }
  if (parts.nginx) out << "# nginx server block\n" << nginx_lines(paths);
  const std::string name(kRefreshUnitName);
  err << "refresh units in " << units.string() << "; to install them:\n"
      << "  cp " << (units / (name + ".service")).string() << " "
      << (units / (name + ".timer")).string() << " /etc/systemd/system/\n"
      << "  systemctl daemon-reload && systemctl enable --now " << name << ".timer\n"
      << "or without systemd: cp " << (units / (name + ".cron")).string()
      << " /etc/cron.d/jit-host-refresh\n";
}

}  // namespace

int jit_host_setup(const JitGlobalOptions& global, const HostSetupOptions& options,
                   std::ostream& out, std::ostream& err) {
  if (!parts_chosen(options.paths, err)) return kJitError;
  const auto profile = effective_profile(global);
  const auto paths = host_paths(options.paths);
  const auto principals = parse_principals_options(options.principals);
  if (!principals.problem.empty()) {
    err << "jit: " << principals.problem << "\n";
    return kJitError;
  }
  if (!options.principals.empty() && !options.paths.ssh) {
    err << "jit: --principals needs --ssh\n";
    return kJitError;
  }
  if (options.interval < std::chrono::seconds(10)) {
    err << "jit: --interval must be at least 10 seconds\n";
    return kJitError;
  }
  RefreshCommand refresh{own_binary(),
                         profile.broker_url,
                         profile.ca_file ? std::optional<fs::path>(*profile.ca_file) : std::nullopt,
                         paths,
                         options.paths.ssh,
                         options.paths.nginx,
                         options.after_crl_change.value_or(std::string(kDefaultAfterCrlChange))};
  // Checked before anything is written: every path must read the same in each file format.
  auto problem = refresh_command_problem(refresh);
  if (problem.empty()) problem = printed_paths_problem(paths);
  if (!problem.empty()) {
    err << "jit: " << problem << "\n";
    return kJitError;
  }

  bool ok = true;
  if (options.paths.ssh) {
    ok = update_broker_file(
             profile,
             {"SSH CA keys", "/v1/ca/ssh", paths.trusted_ca_file, false, kMaxCaFileBytes,
              [](std::string_view fetched, std::optional<std::string_view>) {
                return ssh_ca_keys_problem(fetched);
              }},
             err, err) != FileUpdate::failed &&
         ok;
    ok = update_broker_file(profile, krl_file_source(paths), err, err) != FileUpdate::failed && ok;
    ok = write_principals(paths, principals, err) && ok;
  }
  if (options.paths.nginx) {
    const bool chain_ok =
        update_broker_file(
            profile,
            {"X.509 CA chain", "/v1/ca/x509", paths.x509_ca_file, false, kMaxCaFileBytes,
             [](std::string_view fetched, std::optional<std::string_view>) {
               return x509_chain_problem(fetched);
             }},
            err, err) != FileUpdate::failed;
    ok = chain_ok &&
         update_broker_file(profile, crl_file_source(paths), err, err) != FileUpdate::failed && ok;
  }
  const auto units = options.units_dir ? fs::absolute(*options.units_dir) : paths.out / "units";
  const std::string name(kRefreshUnitName);
  ok = write_public_file(units / (name + ".service"), systemd_service_unit(refresh), err) && ok;
  ok =
      write_public_file(units / (name + ".timer"), systemd_timer_unit(options.interval), err) && ok;
  ok = write_public_file(units / (name + ".cron"), cron_line(refresh), err) && ok;
  if (!ok) return kJitError;
  print_lines(paths, options.paths, units, principals, out, err);
  return kJitOk;
}

int jit_host_refresh(const JitGlobalOptions& global, const HostRefreshOptions& options,
                     std::ostream& out, std::ostream& err) {
  if (!parts_chosen(options.paths, err)) return kJitError;
  const auto profile = effective_profile(global);
  const auto paths = host_paths(options.paths);
  bool ok = true;
  if (options.paths.ssh)
    ok = update_broker_file(profile, krl_file_source(paths), out, err) != FileUpdate::failed;
  if (options.paths.nginx) {
    const auto crl = update_broker_file(profile, crl_file_source(paths), out, err);
    ok = crl != FileUpdate::failed && ok;
    if (crl == FileUpdate::replaced && !options.after_crl_change.empty()) {
      out << std::flush;
      err << std::flush;  // the command writes to the same stdout and stderr
      const auto status = run_program({"/bin/sh", "-c", options.after_crl_change});
      if (status != 0) {
        err << "jit: the command after the CRL change failed ("
            << (status ? "exit " + std::to_string(*status) : std::string("cannot start /bin/sh"))
            << "): " << options.after_crl_change << "\n";
        ok = false;
      }
    }
  }
  return ok ? kJitOk : kJitError;
}

}  // namespace jit::broker
