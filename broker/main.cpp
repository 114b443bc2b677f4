// jit-broker: the daemon and its admin commands. Thin: parse the command line, dispatch, and turn
// start-up exceptions into one clear line and a non-zero exit.
#include "broker/admin/admin_commands.hpp"
#include "broker/admin/backup_commands.hpp"
#include "broker/admin/event_commands.hpp"
#include "broker/admin/user_list_command.hpp"
#include "broker/store/store_error.hpp"
#include "config/broker_config.hpp"
#include "config/config_error.hpp"
#include "config/listen_address.hpp"

#include <sys/stat.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>

int main(int argc, char** argv) {
  // Everything the broker writes (database, keys, KRL temp files) is private unless made otherwise.
  ::umask(077);
  CLI::App app{"jit-broker: just-in-time access broker (daemon and admin commands)"};
  // JIT_VERSION: the project version in CMakeLists.txt (also the Debian package's version).
  app.set_version_flag("--version", "jit-broker " JIT_VERSION);
  app.require_subcommand(1);
  // Inherited by the subcommands: an option one does not know (--config) goes to the parent, so
  // `jit-broker user enroll NAME --config FILE` works as well as `--config FILE` first.
  app.fallthrough();
  std::string config_file;
  app.add_option("--config", config_file, "broker config file (YAML)")->required();

  std::optional<std::string> listen;
  std::optional<std::string> data_dir;
  auto* serve = app.add_subcommand("serve", "run the HTTPS broker until SIGTERM or SIGINT");
  serve->add_option("--listen", listen, "listen address ADDR:PORT (overrides the config)");
  serve->add_option("--data-dir", data_dir, "data folder (overrides the config)");

  auto* audit = app.add_subcommand("audit", "audit log commands");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand("verify", "verify the keyed audit chain");
  jit::broker::AuditVerifyOptions verify_options;
  audit_verify->add_option("--head", verify_options.head,
                           "a head hash noted earlier: it must still be in the chain");
  audit_verify->add_option("--expect-records", verify_options.expect_records,
                           "a record count noted earlier: the chain must have at least as many");
  audit_verify->add_option(
      "--against", verify_options.against,
      "a copy the audit stream wrote (JSON lines): check it against the chain");
  audit_verify->add_option("--from", verify_options.against_from,
                           "with --against: the first record seq the copy must hold");
  audit_verify->add_flag("--allow-duplicates", verify_options.allow_duplicates,
                         "with --against: records repeated by at-least-once delivery are fine");

  auto* ca = app.add_subcommand("ca", "CA commands");
  ca->require_subcommand(1);
  auto* ca_show = ca->add_subcommand("show", "print the public CA keys and fingerprints");

  auto* krl = app.add_subcommand("krl", "SSH key revocation list commands");
  krl->require_subcommand(1);
  std::string krl_file;
  auto* krl_write = krl->add_subcommand(
      "write", "write the KRL of revoked, unexpired SSH certificates (atomically; for cron)");
  krl_write->add_option("FILE", krl_file, "KRL file to write (sshd RevokedKeys)")->required();

  std::string backup_file;
  auto* backup = app.add_subcommand(
      "backup", "copy the database while the broker serves (docs/operations.md: Backup)");
  backup->add_option("FILE", backup_file, "backup file to write (replaced atomically, mode 0600)")
      ->required();
  auto* restore =
      app.add_subcommand("restore", "copy a backup into a data folder that has no database yet");
  restore->add_option("FILE", backup_file, "backup file written by `jit-broker backup`")
      ->required();
  restore->add_option("--data-dir", data_dir, "data folder to restore into (overrides the config)");

  auto* user = app.add_subcommand("user", "manage users' credentials (users come from the policy)");
  user->require_subcommand(1);
  std::string user_name;
  using jit::broker::UserAction;
  std::optional<UserAction> user_action;
  bool user_qr = false;
  for (const auto& [name, action, help] :
       {std::tuple{"enroll", UserAction::enroll, "set a password (stdin) and a new TOTP secret"},
        std::tuple{"reset", UserAction::reset,
                   "replace password (stdin) and TOTP secret, end sessions"},
        std::tuple{"lock", UserAction::lock, "lock the account and end its sessions"},
        std::tuple{"unlock", UserAction::unlock, "unlock the account"}}) {
    auto* command = user->add_subcommand(name, help);
    command->add_option("NAME", user_name, "user name from the policy")->required();
    if (action == UserAction::enroll || action == UserAction::reset) {
      command->add_flag("--qr", user_qr, "also print the otpauth URI as a QR code to scan");
    }
    command->callback([&user_action, action = action] { user_action = action; });
  }

  auto* user_list = user->add_subcommand(
      "list", "list every user: source (local, sso:<provider>, policy), state and groups");

  auto* events = app.add_subcommand("events", "the event outbox (webhook deliveries)");
  events->require_subcommand(1);
  bool failed_only = false;
  std::size_t list_limit = 100;
  auto* events_list = events->add_subcommand("list", "list the newest events and their delivery");
  events_list->add_flag("--failed", failed_only, "only events whose attempts are spent");
  events_list->add_option("--limit", list_limit, "how many events at most (default 100)")
      ->check(CLI::Range(1, 100000));
  auto* events_retry = events->add_subcommand("retry", "send failed events again");
  std::optional<std::string> retry_id;
  bool retry_all = false;
  auto* retry_id_option = events_retry->add_option("ID", retry_id, "the failed event's id");
  auto* retry_all_flag = events_retry->add_flag("--all-failed", retry_all, "every failed event");
  retry_id_option->excludes(retry_all_flag);
  events_retry->callback([&] {
    if (!retry_id && !retry_all) throw CLI::RequiredError("ID or --all-failed");
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    jit::config::BrokerConfigOverrides overrides;
    if (listen) overrides.listen = jit::config::parse_listen_address(*listen, "--listen");
    if (data_dir) overrides.data_dir = *data_dir;
    const auto config = jit::config::load_broker_config(config_file, overrides);
    if (serve->parsed()) return jit::broker::run_serve(config);
    if (audit_verify->parsed()) {
      return jit::broker::run_audit_verify(config, verify_options, std::cout, std::cerr);
    }
    if (ca_show->parsed()) return jit::broker::run_ca_show(config, std::cout);
    if (krl_write->parsed()) return jit::broker::run_krl_write(config, krl_file, std::cout);
    if (events_list->parsed()) {
      return jit::broker::run_events_list(config, failed_only, list_limit, std::cout);
    }
    if (events_retry->parsed()) {
      return jit::broker::run_events_retry(config, retry_id, std::cout, std::cerr);
    }
    if (backup->parsed()) return jit::broker::run_backup(config, backup_file, std::cout);
    if (restore->parsed()) return jit::broker::run_restore(config, backup_file, std::cout);
    if (user_list->parsed()) return jit::broker::run_user_list(config, std::cout);
    if (user_action) {
      return jit::broker::run_user_command(config, *user_action, user_name, std::cin, std::cout,
                                           user_qr);
    }
  } catch (const jit::config::ConfigError& e) {
    std::cerr << "jit-broker: config error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "jit-broker: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
