#include "broker/admin/admin_commands.hpp"
#include "broker/admin/admin_store.hpp"
#include "broker/store/db/db_connection.hpp"

#include "broker/service/access_service.hpp"

#include "broker/admin/audit_copy_check.hpp"
#include "broker/admin/terminal_qr.hpp"
#include "broker/auth/data_key.hpp"
#include "broker/auth/derived_keys.hpp"
#include "broker/auth/enrollment.hpp"
#include "broker/broker_app.hpp"
#include "broker/data_dir.hpp"
#include "broker/log.hpp"
#include "broker/service/ca_key_list.hpp"
#include "broker/service/ca_keys.hpp"
#include "broker/service/revocation_lists.hpp"
#include "broker/store/audit_chain.hpp"
#include "broker/store/db/postgres_connection.hpp"
#include "broker/store/db/sqlite_connection.hpp"
#include "broker/store/migrations.hpp"
#include "broker/store/store.hpp"
#include "broker/store/store_error.hpp"
#include "broker/store/store_url.hpp"
#include "ca/bytes.hpp"
#include "ca/krl_file.hpp"
#include "config/policy.hpp"

#include <chrono>
#include <fstream>
#include <istream>
#include <ostream>
#include <stdexcept>

namespace jit::broker {
namespace {

std::filesystem::path database_file(const config::BrokerConfig& config) {
  return config.data_dir / "broker.db";
}

}  // namespace

int run_serve(const config::BrokerConfig& config) {
  set_log_format(config.log_format);
  try {
    BrokerApp app(config);
    app.run();  // returns after SIGTERM/SIGINT, the normal way to stop
  } catch (const std::exception& e) {
    // In text, main() prints it as it always has; a JSON log gets a JSON line like every other.
    if (config.log_format != config::LogFormat::json) throw;
    log_event(LogLevel::error, "serve_failed", {{"error", e.what()}});
    return 2;
  }
  return 0;
}

int run_audit_verify(const config::BrokerConfig& config, const AuditVerifyOptions& options,
                     std::ostream& out, std::ostream& err) {
  const bool postgres = config.store.backend == config::StoreBackend::postgresql;
  const auto file = database_file(config);
  if (!postgres && !std::filesystem::exists(file)) {
    throw StoreOpenError("no database at " + file.string());
  }
  const std::string database = postgres ? "the PostgreSQL database" : "database " + file.string();
  // The chain's key comes from the data key file, never from the database; a missing file is not
  // made up here (a new key would only make every record look forged).
  if (!std::filesystem::exists(config.data_key_file)) {
    throw StoreOpenError("no data key at " + config.data_key_file.string() +
                         "; the audit chain cannot be verified without it");
  }
  const auto key = audit_chain_key(load_or_create_data_key(config.data_key_file));
  AuditVerification result;
  std::optional<AuditCopyReport> copy;
  int version = 0;
  std::ifstream copy_file;
  if (options.against) {
    copy_file.open(*options.against, std::ios::binary);
    if (!copy_file) throw std::runtime_error("cannot read " + options.against->string());
  }
  try {
    // Read-only on SQLite, plain reads on PostgreSQL: verifying never waits for or disturbs a
    // running broker, whose appends only add records after the ones read.
    std::unique_ptr<db::Connection> connection;
    if (postgres) {
      connection = db::PostgresConnection::connect(configured_store_url(config.store));
    } else {
      connection = std::make_unique<db::SqliteConnection>(open_connection(file, false));
    }
    db::Connection& db = *connection;
    version = schema_version(db);
    if (version >= kKeyedAuditSchemaVersion) {
      result = verify_audit_chain(db, key, {options.head, options.expect_records});
      if (result.ok && options.against) {
        copy = check_audit_copy(copy_file, db, key, options.against_from.value_or(0));
      }
    }
  } catch (const db::Error& e) {
    throw StoreOpenError("cannot read " + database + ": " + e.what());
  }
  if (version < kKeyedAuditSchemaVersion) {
    err << "audit chain not keyed: database schema version " << version
        << "; start the broker once to upgrade it (the upgrade re-keys the chain)\n";
    return 1;
  }
  if (!result.ok) {
    err << "audit chain BROKEN at record " << *result.first_bad_seq << ": " << result.problem
        << " (" << result.records << " records verified before it)\n";
    return 1;
  }
  out << "audit chain ok: " << result.records << " records, head " << result.head_hash << "\n";
  if (copy) {
    print_audit_copy_report(*copy, options.against->string(), options.allow_duplicates, out, err);
    if (!copy->ok(options.allow_duplicates)) return 1;
  }
  return 0;
}

int run_ca_show(const config::BrokerConfig& config, std::ostream& out) {
  create_private_dir(config.data_dir);
  const auto ssh_ca = load_ssh_ca(ca_settings_with_key_list(config));
  out << "SSH user CA keys (TrustedUserCAKeys; the first one signs):\n";
  const auto keys = ssh_ca.keys();
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
    out << "  " << it->public_key().fingerprint_sha256() << "  " << it->public_key().line() << "\n";
  }
  const auto x509_ca = load_x509_ca_with_list(config);
  out << "X.509 issuing CAs (certificate SHA-256; the first one signs):\n";
  if (auto fingerprints = x509_issuer_fingerprints(x509_ca)) {
    for (const auto& fingerprint : *fingerprints) out << "  " << fingerprint << "\n";
  }
  out << "X.509 CA chain (issuing CAs, then root; GET /v1/ca/x509):\n" << x509_ca.chain_pem();
  return 0;
}

int run_krl_write(const config::BrokerConfig& config, const std::filesystem::path& file,
                  std::ostream& out) {
  const auto db_file = database_file(config);
  if (config.store.backend == config::StoreBackend::sqlite && !std::filesystem::exists(db_file)) {
    throw StoreOpenError("no database at " + db_file.string());
  }
  config::CaSettings ca_settings = ca_settings_with_key_list(config);
  ca_settings.generate_missing = false;  // a KRL for a CA key made up now would revoke nothing
  const auto ssh_ca = load_ssh_ca(ca_settings);
  const RevocationSources sources(ssh_ca, {}, config.ca.clock_skew);
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  // Store::open waits (busy timeout) while the running broker commits; then reads use read-only
  // connections, and the one write below is a single short job like the broker's own.
  auto store = open_admin_store(config);
  RevokedCertificates revoked;
  try {
    revoked = store->read(
        [&](db::Connection& db) { return sources.load(db, now.time_since_epoch().count()); });
  } catch (const db::Error& e) {
    throw StoreOpenError("cannot read database " + db_file.string() + ": " + e.what());
  }
  const auto numbers = take_publication_numbers(*store, true, false, "admin",
                                                {revoked.ssh.size(), 0, revoked.skipped});
  if (!numbers) throw std::runtime_error("cannot take a KRL version: " + numbers.error().message());
  const auto version = *numbers->krl_version;
  const auto krl = build_revocation_krl(ssh_ca, revoked.ssh, version, now);
  if (!krl) throw std::runtime_error("cannot build the KRL: " + krl.error().message());
  if (auto written = ca::write_krl_file(file, krl->bytes); !written) {
    if (written.error() == ca::CaErrc::invalid_argument) {
      const auto existing = ca::read_krl_file(file);
      throw std::runtime_error(file.string() + " holds KRL version " +
                               (existing ? std::to_string(existing->version) : "?") +
                               ", not older than " + std::to_string(version) +
                               "; remove it if it did not come from this broker");
    }
    throw std::runtime_error("cannot write " + file.string() + ": " + written.error().message());
  }
  out << "wrote KRL version " << version << " with " << krl->revoked_serials + krl->revoked_key_ids
      << " revoked certificates to " << file.string() << "\n";
  return 0;
}

int run_user_command(const config::BrokerConfig& config, UserAction action, const std::string& user,
                     std::istream& in, std::ostream& out, bool qr) {
  const auto policy = config::load_policy(config.policy_file, config.limits);
  create_private_dir(config.data_dir);
  auto store = open_admin_store(config);
  switch (action) {
    case UserAction::enroll:
    case UserAction::reset: {
      std::string password;
      std::getline(in, password);
      if (!password.empty() && password.back() == '\r') password.pop_back();
      const auto data_key = load_or_create_data_key(config.data_key_file);
      const auto result =
          enroll_user(*store, policy, data_key, user, password, action == UserAction::reset);
      ca::wipe(password);
      out << result.otpauth_uri << "\n";
      if (qr) {
        const auto modules = qr_modules(result.otpauth_uri);
        if (!modules) throw std::runtime_error("cannot make a QR code of the otpauth URI");
        out << render_terminal_qr(*modules);
      }
      return 0;
    }
    case UserAction::lock:
    case UserAction::unlock:
      set_user_locked(*store, user, action == UserAction::lock);
      if (action == UserAction::unlock) {
        out << "user " << user << " unlocked\n";
        return 0;
      }
      // A lock ends the user's access at once: every active grant is revoked and its certificates
      // go into the KRL and CRL. The same transaction bumps the revocation generation, which a
      // running broker polls (it serves the new lists within a second), and puts the
      // grant.revoked events into the outbox, which that broker sends to its webhooks.
      const auto identity = make_identity_service(config, *store, policy);
      AccessService access(*store, *identity, config.limits, AccessHooks{});
      const auto ended = access.grants().revoke_all_of(user, "admin", "user locked");
      if (!ended) throw std::runtime_error("could not revoke the user's grants: storage failed");
      out << "user " << user << " locked; " << *ended << " active grant(s) revoked\n";
      return 0;
  }
  return 1;
}

}  // namespace jit::broker
