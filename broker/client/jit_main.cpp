// jit: the engineer's command line for the broker. Thin: parse, dispatch, exit code.
#include "broker/client/jit_access_commands.hpp"
#include "broker/client/jit_cert_commands.hpp"
#include "broker/client/jit_commands.hpp"
#include "broker/client/jit_host_commands.hpp"
#include "broker/client/jit_passkey_commands.hpp"
#include "broker/client/jit_roles_commands.hpp"
#include "broker/client/jit_ssh_command.hpp"
#include "broker/client/jit_sso_commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

#include <unistd.h>

namespace {

// A CLI11 option holding a wait duration ("2s", "1h", "500ms").
CLI::Option* add_wait_duration(CLI::App* command, const std::string& name,
                               std::chrono::milliseconds& target, const std::string& help) {
  return command->add_option_function<std::string>(
      name,
      [&target, name](const std::string& text) {
        const auto value = jit::broker::parse_wait_duration(text);
        if (!value) throw CLI::ValidationError(name, "expected a duration like 2s, 1h or 500ms");
        target = *value;
      },
      help);
}

// The parts and paths `host-setup` and `host-refresh` share (host_setup_files.hpp).
void add_host_path_options(CLI::App* command, jit::broker::HostPathOptions& paths) {
  command->add_option("--out", paths.out, "folder for everything written (/etc/jit)");
  command->add_flag("--ssh", paths.ssh, "sshd: TrustedUserCAKeys, RevokedKeys (KRL), principals");
  command->add_flag("--nginx", paths.nginx, "nginx mTLS: client CA chain and CRL");
  command->add_option("--trusted-ca-file", paths.trusted_ca_file,
                      "SSH CA keys file (OUT/ssh/trusted_user_ca_keys.pub)");
  command->add_option("--krl-file", paths.krl_file, "KRL file (OUT/ssh/revoked_keys.krl)");
  command->add_option("--principals-dir", paths.principals_dir,
                      "one principals file per account (OUT/ssh/auth_principals)");
  command->add_option("--x509-ca-file", paths.x509_ca_file,
                      "client CA chain for nginx (OUT/nginx/client_ca_chain.pem)");
  command->add_option("--crl-file", paths.crl_file,
                      "CRL bundle for nginx (OUT/nginx/client_crl.pem)");
}

// A usage error as one line and exit 1 (docs/architecture.md "jit"); --help still prints the help
// and exits 0.
int usage_error(CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
  std::string command = "jit";
  for (const auto* sub : app.get_subcommands()) {
    command += " " + sub->get_name();
    for (const auto* nested : sub->get_subcommands()) command += " " + nested->get_name();
  }
  std::cerr << "jit: " << e.what() << " (see `" << command << " --help`)\n";
  return jit::broker::kJitError;
}

}  // namespace

int main(int argc, char** argv) {
  namespace jb = jit::broker;
  CLI::App app{"jit: request, approve and use just-in-time access"};
  // JIT_VERSION: the project version in CMakeLists.txt (also the Debian package's version).
  app.set_version_flag("--version", "jit " JIT_VERSION);
  app.require_subcommand(1);
  // Subcommands inherit this: an option a subcommand does not know (--broker, --ca-file) goes to
  // the parent, so the global options work before or after the subcommand.
  app.fallthrough();
  jb::JitGlobalOptions global;
  app.add_option("--broker", global.broker_url,
                 "broker URL, e.g. https://localhost:8443 (remembered)");
  app.add_option("--ca-file", global.ca_file,
                 "CA certificate that signs the broker's TLS certificate (remembered)");

  jb::LoginOptions login;
  auto* login_command = app.add_subcommand(
      "login", "sign in with password and TOTP code, or with single sign-on (--sso)");
  jb::SsoLoginOptions sso_login;
  std::string sso_provider;
  auto* sso_option =
      login_command
          ->add_option("--sso", sso_provider,
                       "sign in with the identity provider PROVIDER (default: the only one)")
          ->expected(0, 1);
  auto* user_option = login_command->add_option("--user", login.user, "your user name");
  user_option->excludes(sso_option);
  login_command->add_flag("--password-stdin", login.password_stdin, "read the password from stdin")
      ->excludes(sso_option);
  login_command->add_option("--totp", login.totp, "TOTP code (prompted for when absent)")
      ->excludes(sso_option);
  login_command
      ->add_flag("--device", sso_login.device,
                 "with --sso: sign in on another device (a code to enter there)")
      ->needs(sso_option);
  login_command
      ->add_flag("--no-browser", sso_login.no_browser,
                 "with --sso: print the sign-in address, do not open a browser")
      ->needs(sso_option);
  auto* logout_command = app.add_subcommand("logout", "end the stored session");
  auto* whoami_command = app.add_subcommand("whoami", "show the signed-in user");
  auto* roles_command =
      app.add_subcommand("roles", "the roles you may request or approve, with their limits");

  jb::RequestOptions request;
  auto* request_command =
      app.add_subcommand("request", "ask for a role; prints the request id on the first line");
  request_command->add_option("role", request.role, "the role, e.g. prod-db-read")->required();
  request_command->add_option("--reason", request.reason, "why you need it");
  request_command->add_option("--ticket", request.ticket, "change or incident ticket");
  request_command->add_option("--duration", request.duration, "how long, e.g. 30m or 1h");
  request_command->add_option("--totp", request.totp, "TOTP code (prompted for when needed)");
  request_command->add_flag("--wait", request.wait,
                            "wait for the decision; prints the grant id on the second line");
  add_wait_duration(request_command, "--timeout", request.wait_timeout,
                    "with --wait: give up after this long (1h)");

  jb::StatusOptions status;
  auto* status_command =
      app.add_subcommand("status", "one request in full, or your requests and grants");
  status_command->add_option("id", status.id, "a request id (req-...)");
  status_command->add_option("--state", status.state,
                             "list only requests in this state (pending, review_due, ...)");
  status_command->add_flag("--json", status.json, "print the broker's JSON");

  jb::WaitOptions wait;
  auto* wait_command = app.add_subcommand(
      "wait", "wait for a decision; prints the grant id (exit 3 denied, 4 timed out/cancelled)");
  wait_command->add_option("id", wait.id, "the request id (req-...)")->required();
  add_wait_duration(wait_command, "--timeout", wait.timeout, "give up after this long (1h)");
  add_wait_duration(wait_command, "--interval", wait.interval, "time between checks (2s)");

  jb::ReviewOptions review;
  std::vector<std::pair<CLI::App*, jb::ReviewKind>> review_commands;
  for (const auto& [name, kind, help] :
       {std::tuple{"approve", jb::ReviewKind::approve,
                   "approve a request (TOTP code needed; passkey-only roles on the web page)"},
        std::tuple{"deny", jb::ReviewKind::deny, "deny a request (TOTP code needed)"},
        std::tuple{"review", jb::ReviewKind::post_incident,
                   "close the post-incident review of a break-glass request (TOTP code needed)"}}) {
    auto* command = app.add_subcommand(name, help);
    command->add_option("id", review.id, "the request id (req-...)")->required();
    command->add_option("--comment", review.comment, "a note stored with your decision");
    command->add_option("--totp", review.totp, "TOTP code (prompted for when absent)");
    if (kind != jb::ReviewKind::post_incident) {
      command->add_flag("--yes", review.yes,
                        "decide without asking (the request is still printed); needed when "
                        "standard input is not a terminal");
    }
    review_commands.emplace_back(command, kind);
  }

  std::string cancel_id;
  auto* cancel_command = app.add_subcommand("cancel", "withdraw your pending request");
  cancel_command->add_option("id", cancel_id, "the request id (req-...)")->required();

  jb::BreakglassOptions breakglass;
  auto* breakglass_command = app.add_subcommand(
      "breakglass", "emergency access without approvals; prints request id and grant id");
  breakglass_command->add_option("role", breakglass.role, "the role")->required();
  breakglass_command->add_option("--incident", breakglass.incident, "incident id")->required();
  breakglass_command->add_option("--reason", breakglass.reason, "what you will do")->required();
  breakglass_command->add_option("--duration", breakglass.duration, "how long, e.g. 30m");
  breakglass_command->add_option("--totp", breakglass.totp, "TOTP code (prompted for when absent)");

  jb::SshCertOptions ssh_cert;
  bool no_agent = false;
  auto* ssh_cert_command = app.add_subcommand(
      "ssh-cert", "make a key here and get an SSH certificate for a grant; prints the ssh line");
  ssh_cert_command->add_option("grant", ssh_cert.grant, "the grant id (grt-...)")->required();
  ssh_cert_command->add_option("--totp", ssh_cert.totp, "TOTP code (prompted for when needed)");
  ssh_cert_command->add_option("--dir", ssh_cert.dir, "where to write the files (~/.ssh)");
  ssh_cert_command->add_flag("--no-agent", no_agent, "do not add the key to ssh-agent");

  jb::SshOptions ssh;
  auto* ssh_command = app.add_subcommand(
      "ssh", "log in to a host with a grant's certificate: reuses or requests a grant, then ssh");
  ssh_command->add_option("destination", ssh.destination, "[USER@]HOST")->required();
  ssh_command->add_option("command", ssh.command, "remote command (after --)");
  ssh_command->add_option("-p,--port", ssh.port, "the host's SSH port");
  ssh_command->add_option("-o,--ssh-option", ssh.ssh_options, "passed to ssh as -o OPTION");
  ssh_command->add_option("--role", ssh.role, "the role to use (else the one allowing USER)");
  ssh_command->add_option("--reason", ssh.reason,
                          "why, for a new request (asked on a terminal if the role needs it)");
  ssh_command->add_option("--ticket", ssh.ticket,
                          "ticket, for a new request (asked on a terminal if the role needs it)");
  ssh_command->add_option("--duration", ssh.duration, "how long, for a new request");
  ssh_command->add_option("--totp", ssh.totp, "TOTP code (prompted for when needed)");
  ssh_command->add_option("--dir", ssh.dir, "where key and certificate go (~/.ssh)");
  add_wait_duration(ssh_command, "--timeout", ssh.wait_timeout,
                    "give up waiting for approval after this long (1h)");

  jb::X509CertOptions x509_cert;
  auto* x509_cert_command = app.add_subcommand(
      "x509-cert", "make a key and CSR here and get an X.509 client certificate for a grant");
  x509_cert_command->add_option("grant", x509_cert.grant, "the grant id (grt-...)")->required();
  x509_cert_command->add_option("--totp", x509_cert.totp, "TOTP code (prompted for when needed)");
  x509_cert_command->add_option("--dir", x509_cert.dir,
                                "where to write the files (~/.config/jit/certs)");

  jb::RevokeOptions revoke;
  auto* revoke_command = app.add_subcommand("revoke", "end a grant now");
  revoke_command->add_option("grant", revoke.grant, "the grant id (grt-...)")->required();
  revoke_command->add_option("--reason", revoke.reason, "why")->required();
  revoke_command->add_option("--dir", revoke.dir,
                             "where `jit ssh-cert` put the grant's key, to drop it from ssh-agent "
                             "(~/.ssh)");

  auto* passkeys_command = app.add_subcommand("passkeys", "your passkeys: list or remove them");
  passkeys_command->require_subcommand(1);
  auto* passkeys_list_command = passkeys_command->add_subcommand("list", "list your passkeys");
  jb::PasskeyRemoveOptions passkey_remove;
  auto* passkeys_remove_command =
      passkeys_command->add_subcommand("remove", "remove one of your passkeys (TOTP code needed)");
  passkeys_remove_command->add_option("id", passkey_remove.id, "the id `jit passkeys list` shows")
      ->required();
  passkeys_remove_command->add_option("--totp", passkey_remove.totp,
                                      "TOTP code (prompted for when absent)");

  jb::HostSetupOptions host_setup;
  auto* host_setup_command = app.add_subcommand(
      "host-setup",
      "write what an sshd host or nginx server needs from the broker; prints the config lines");
  add_host_path_options(host_setup_command, host_setup.paths);
  host_setup_command->add_option(
      "--principals", host_setup.principals,
      "ACCOUNT=PRINCIPAL[,PRINCIPAL...]: certificate principals the account accepts (repeatable)");
  host_setup_command->add_option("--units-dir", host_setup.units_dir,
                                 "where the systemd units and cron line go (OUT/units)");
  host_setup_command->add_option_function<unsigned>(
      "--interval",
      [&host_setup](unsigned seconds) { host_setup.interval = std::chrono::seconds(seconds); },
      "seconds between refreshes by the timer (60)");
  host_setup_command->add_option(
      "--after-crl-change", host_setup.after_crl_change,
      "command the refresh runs after replacing the CRL (systemctl reload nginx; \"\" for none)");

  jb::HostRefreshOptions host_refresh;
  auto* host_refresh_command = app.add_subcommand(
      "host-refresh",
      "fetch the KRL and/or CRL again, replacing a file only with a valid newer list");
  add_host_path_options(host_refresh_command, host_refresh.paths);
  host_refresh_command->add_option("--after-crl-change", host_refresh.after_crl_change,
                                   "command run by /bin/sh after the CRL file was replaced");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e);
  }
  ssh_cert.add_to_agent = !no_agent;
  review.interactive = ::isatty(STDIN_FILENO) == 1;
  try {
    if (login_command->parsed() && sso_option->count() > 0) {
      if (!sso_provider.empty()) sso_login.provider = sso_provider;
      return jb::jit_sso_login(global, sso_login, std::cout, std::cerr);
    }
    if (login_command->parsed()) {
      if (user_option->count() == 0) {
        return usage_error(app, CLI::RequiredError("--user (or --sso)"));
      }
      return jb::jit_login(global, login, std::cin, std::cout, std::cerr);
    }
    if (logout_command->parsed()) return jb::jit_logout(global, std::cout, std::cerr);
    if (whoami_command->parsed()) return jb::jit_whoami(global, std::cout, std::cerr);
    if (roles_command->parsed()) return jb::jit_roles(global, std::cout, std::cerr);
    if (request_command->parsed())
      return jb::jit_request(global, request, std::cin, std::cout, std::cerr);
    if (status_command->parsed()) return jb::jit_status(global, status, std::cout, std::cerr);
    if (wait_command->parsed()) return jb::jit_wait(global, wait, std::cout, std::cerr);
    for (const auto& [command, kind] : review_commands) {
      if (command->parsed())
        return jb::jit_review(global, kind, review, std::cin, std::cout, std::cerr);
    }
    if (cancel_command->parsed()) return jb::jit_cancel(global, cancel_id, std::cout, std::cerr);
    if (breakglass_command->parsed())
      return jb::jit_breakglass(global, breakglass, std::cin, std::cout, std::cerr);
    if (ssh_cert_command->parsed())
      return jb::jit_ssh_cert(global, ssh_cert, std::cin, std::cout, std::cerr);
    if (ssh_command->parsed()) return jb::jit_ssh(global, ssh, std::cin, std::cerr);
    if (x509_cert_command->parsed())
      return jb::jit_x509_cert(global, x509_cert, std::cin, std::cout, std::cerr);
    if (passkeys_list_command->parsed()) return jb::jit_passkeys_list(global, std::cout, std::cerr);
    if (passkeys_remove_command->parsed())
      return jb::jit_passkeys_remove(global, passkey_remove, std::cin, std::cout, std::cerr);
    if (host_setup_command->parsed())
      return jb::jit_host_setup(global, host_setup, std::cout, std::cerr);
    if (host_refresh_command->parsed())
      return jb::jit_host_refresh(global, host_refresh, std::cout, std::cerr);
    if (revoke_command->parsed())
      return jb::jit_revoke(global, revoke, std::cin, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "jit: " << e.what() << "\n";
    return jb::kJitError;
  }
  return jb::kJitError;
}
