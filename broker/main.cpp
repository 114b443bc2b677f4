// jit-broker: the daemon and its admin commands. Thin: parse the command line, dispatch, and turn
// start-up exceptions into one clear line and a non-zero exit.
#include "broker/admin/admin_commands.hpp"
#include "broker/admin/backup_commands.hpp"
#include "broker/admin/ca_init_command.hpp"
#include "broker/admin/ca_rotate_command.hpp"
#include "broker/admin/event_commands.hpp"
#include "broker/admin/store_commands.hpp"
#include "broker/admin/store_copy_command.hpp"
#include "broker/admin/user_list_command.hpp"
#include "broker/store/store_error.hpp"
#include "broker/store/store_url.hpp"
#include "config/broker_config.hpp"
#include "config/config_error.hpp"
#include "config/listen_address.hpp"

#include <sys/stat.h>
#include <CLI/CLI.hpp>

#include <filesystem>
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
  // Required by every command but `store check`, which runs before a config exists (below).
  app.add_option("--config", config_file, "broker config file (YAML)");

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
  jit::broker::CaInitOptions ca_init_options;
  auto* ca_init = ca->add_subcommand(
      "init", "generate a CA key inside a PKCS#11 token (docs/operations.md: CA keys in an HSM)");
  ca_init->add_option("KIND", ca_init_options.kind, "ssh or x509")
      ->required()
      ->check(CLI::IsMember({"ssh", "x509"}));
  ca_init
      ->add_option("--pkcs11", ca_init_options.pkcs11_uri,
                   "RFC 7512 URI of the new key, e.g. pkcs11:token=jit;object=ssh-ca-2026")
      ->required();
  ca_init->add_option("--key-type", ca_init_options.key_type,
                      "ssh: ed25519 (default), ecdsa-p256; x509: ecdsa-p256 (default), ed25519, "
                      "rsa-3072");
  ca_init->add_option("--public-key-file", ca_init_options.public_key_file,
                      "ssh: where to write the public key (default DATA_DIR/ca/ssh_ca_OBJECT.pub)");

  auto* ca_rotate = ca->add_subcommand(
      "rotate",
      "make a new SSH or X.509 CA key the signer; the others stay published (then restart)");
  std::string rotate_kind;
  std::optional<std::string> rotate_pkcs11;
  ca_rotate->add_option("KIND", rotate_kind, "ssh or x509")
      ->required()
      ->check(CLI::IsMember({"ssh", "x509"}));
  ca_rotate->add_option("--pkcs11", rotate_pkcs11,
                        "make the new key in this PKCS#11 token (RFC 7512 URI with object=)");
  auto* ca_retire = ca->add_subcommand(
      "retire", "remove a CA key whose certificates have all expired (then restart)");
  std::string retire_kind;
  std::string retire_fingerprint;
  ca_retire->add_option("KIND", retire_kind, "ssh or x509")
      ->required()
      ->check(CLI::IsMember({"ssh", "x509"}));
  ca_retire
      ->add_option(
          "FINGERPRINT", retire_fingerprint,
          "ssh: SHA256:...; x509: the certificate's hex SHA-256 (as `ca show` prints them)")
      ->required();

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

  auto* store = app.add_subcommand("store", "the database (docs/operations.md: PostgreSQL)");
  store->require_subcommand(1);
  auto* store_check = store->add_subcommand(
      "check", "connect to a PostgreSQL database and say whether jit-broker can use it");
  std::optional<std::string> url_env;
  std::optional<std::filesystem::path> url_file;
  auto* url_env_option = store_check->add_option(
      "--url-env", url_env, "environment variable holding the libpq connection string or URL");
  store_check->add_option("--url-file", url_file, "file holding the libpq connection string or URL")
      ->excludes(url_env_option);

  auto* store_copy = store->add_subcommand(
      "copy",
      "copy the whole database between SQLite and an empty PostgreSQL database, with the broker "
      "stopped (docs/operations.md: PostgreSQL)");
  jit::broker::StoreCopyOptions copy_options;
  auto* from_sqlite = store_copy->add_option("--from-sqlite", copy_options.from_sqlite,
                                             "copy this SQLite file instead of the config's store");
  auto* from_url_env = store_copy->add_option(
      "--from-url-env", copy_options.from_url_env,
      "copy the PostgreSQL database whose connection string is in this environment variable");
  auto* from_url_file = store_copy->add_option(
      "--from-url-file", copy_options.from_url_file,
      "copy the PostgreSQL database whose connection string is in this file (mode 0600)");
  from_sqlite->excludes(from_url_env, from_url_file);
  from_url_env->excludes(from_url_file);
  auto* to_url_env = store_copy->add_option(
      "--to-url-env", copy_options.to_url_env,
      "into the empty PostgreSQL database whose connection string is in this variable");
  auto* to_url_file = store_copy->add_option(
      "--to-url-file", copy_options.to_url_file,
      "into the empty PostgreSQL database whose connection string is in this file (mode 0600)");
  auto* to_url = store_copy->add_option(
      "--to", copy_options.to_url,
      "into this empty PostgreSQL database (a URL without a password: PGPASSFILE gives it)");
  auto* to_sqlite = store_copy->add_option("--to-sqlite", copy_options.to_sqlite,
                                           "into this new SQLite file (from PostgreSQL)");
  to_url_env->excludes(to_url_file, to_url, to_sqlite);
  to_url_file->excludes(to_url, to_sqlite);
  to_url->excludes(to_sqlite);
  store_copy->callback([&] {
    if (!copy_options.to_url_env && !copy_options.to_url_file && !copy_options.to_url &&
        !copy_options.to_sqlite) {
      throw CLI::RequiredError("--to-url-env, --to-url-file, --to or --to-sqlite");
    }
  });

  try {
    app.parse(argc, argv);
    if (config_file.empty() && !store_check->parsed()) throw CLI::RequiredError("--config");
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (store_check->parsed()) {
    try {
      return jit::broker::run_store_check(jit::broker::read_store_url(url_env, url_file),
                                          std::cout);
    } catch (const std::exception& e) {
      std::cerr << "jit-broker: " << e.what() << "\n";
      return 2;
    }
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
    if (ca_init->parsed()) return jit::broker::run_ca_init(config, ca_init_options, std::cout);
    if (ca_rotate->parsed()) {
      return rotate_kind == "x509"
                 ? jit::broker::run_ca_rotate_x509(config, rotate_pkcs11, std::cout)
                 : jit::broker::run_ca_rotate_ssh(config, rotate_pkcs11, std::cout);
    }
    if (ca_retire->parsed()) {
      return retire_kind == "x509"
                 ? jit::broker::run_ca_retire_x509(config, retire_fingerprint, std::cout, std::cerr)
                 : jit::broker::run_ca_retire_ssh(config, retire_fingerprint, std::cout, std::cerr);
    }
    if (krl_write->parsed()) return jit::broker::run_krl_write(config, krl_file, std::cout);
    if (events_list->parsed()) {
      return jit::broker::run_events_list(config, failed_only, list_limit, std::cout);
    }
    if (events_retry->parsed()) {
      return jit::broker::run_events_retry(config, retry_id, std::cout, std::cerr);
    }
    if (backup->parsed()) return jit::broker::run_backup(config, backup_file, std::cout);
    if (restore->parsed()) return jit::broker::run_restore(config, backup_file, std::cout);
    if (store_copy->parsed()) return jit::broker::run_store_copy(config, copy_options, std::cout);
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
