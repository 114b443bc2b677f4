#include "broker/broker_app.hpp"
#include "broker/store/db/db_connection.hpp"

#include "broker/store/store_error.hpp"
#include "broker/store/store_url.hpp"

#include "broker/api/audit_api.hpp"
#include "broker/api/auth_api.hpp"
#include "broker/api/ca_api.hpp"
#include "broker/api/grants_api.hpp"
#include "broker/api/ocsp_api.hpp"
#include "broker/api/passkey_api.hpp"
#include "broker/api/requests_api.hpp"
#include "broker/api/revocation_api.hpp"
#include "broker/api/roles_api.hpp"
#include "broker/api/sso_api.hpp"
#include "broker/auth/data_key.hpp"
#include "broker/auth/derived_keys.hpp"
#include "broker/http/health_routes.hpp"
#include "broker/http/metrics_token.hpp"
#include "broker/http/server.hpp"
#include "broker/http/server_runner.hpp"
#include "broker/http/tls_context.hpp"
#include "broker/http/web_routes.hpp"
#include "broker/log.hpp"
#include "broker/service/ca_key_list.hpp"
#include "broker/service/ca_keys.hpp"
#include "broker/store/event_outbox.hpp"
#include "broker/store/pg/pg_connection.hpp"
#include "broker/systemd_notify.hpp"
#include "broker/workers/audit_stream_setup.hpp"
#include "broker/workers/webhook_targets.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>
#include <limits>
#include <optional>
#include <stdexcept>

namespace jit::broker {
namespace {

boost::asio::ssl::context make_tls(const config::BrokerConfig& config) {
  if (config.tls.dev_tls) {
    const auto files = ensure_dev_tls_files(config.tls.cert_file.parent_path());
    return make_server_tls_context(files.cert_file, files.key_file);
  }
  return make_server_tls_context(config.tls.cert_file, config.tls.key_file);
}

AuthSettings auth_settings(const config::BrokerConfig& config) {
  AuthSettings settings;
  settings.sessions.idle_timeout = config.sessions.idle_timeout;
  settings.sessions.absolute_timeout = config.sessions.absolute_timeout;
  settings.mfa_freshness = config.mfa.freshness;
  settings.lockout.max_failures = static_cast<std::uint32_t>(config.mfa.totp_max_failures);
  settings.lockout.base = config.mfa.lockout_base;
  // Per user across all sources: ten times the per-source threshold (README, security notes).
  settings.user_lockout.max_failures = settings.lockout.max_failures * 10;
  settings.user_lockout.base = config.mfa.lockout_base;
  settings.webauthn.rp_id = config.mfa.webauthn.rp_id;
  settings.webauthn.origin = config.mfa.webauthn.origin;
  settings.webauthn.require_uv = config.mfa.webauthn.require_user_verification;
  settings.failure_audit_per_minute = config.limits.failure_audit_per_minute;
  const auto& limits = config.limits;
  settings.login_rate.per_source = {static_cast<double>(limits.logins_per_source_per_minute) / 60.0,
                                    static_cast<std::uint32_t>(limits.login_burst_per_source)};
  settings.login_rate.overall = {static_cast<double>(limits.logins_per_minute) / 60.0,
                                 static_cast<std::uint32_t>(limits.login_burst)};
  return settings;
}

}  // namespace

std::unique_ptr<Store> open_broker_store(const config::BrokerConfig& config) {
  AuditChainKey key = audit_chain_key(load_or_create_data_key(config.data_key_file));
  if (config.store.backend == config::StoreBackend::postgresql) {
    return Store::open_postgresql(configured_store_url(config.store), std::move(key));
  }
  return Store::open(config.data_dir / "broker.db", std::move(key));
}

std::unique_ptr<IdentityService> make_identity_service(const config::BrokerConfig& config,
                                                       Store& store, const config::Policy& policy) {
  return std::make_unique<IdentityService>(
      store, policy, load_or_create_data_key(config.data_key_file), auth_settings(config));
}

namespace {

boost::asio::ip::tcp::endpoint listen_endpoint(const config::ListenAddress& listen) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(listen.host, ec);
  if (ec) throw std::runtime_error("listen address is not an IP address: " + listen.host);
  return {address, listen.port};
}

// Opens one more session on the store's PostgreSQL database, for the connections that must be
// a worker's own (a session-level lock, a LISTEN); empty on SQLite.
std::function<pg::Connection()> dedicated_postgres_sessions(const config::BrokerConfig& config) {
  if (config.store.backend != config::StoreBackend::postgresql) return {};
  // Read once more, as open_broker_store did; kept in this function only.
  return [conninfo = read_store_url(config.store.url_env, config.store.url_file)] {
    return pg::Connection::connect(conninfo);
  };
}

}  // namespace

BrokerApp::BrokerApp(config::BrokerConfig config)
    : config_(std::move(config)),
      data_lock_(config_.data_dir),
      policy_(config::load_policy(config_.policy_file, config_.limits)),
      store_(open_broker_store(config_)),
      identity_(make_identity_service(config_, *store_, policy_)),
      ssh_ca_(load_ssh_ca(ca_settings_with_key_list(config_))),
      x509_ca_(load_x509_ca_with_list(config_)),
      tls_(make_tls(config_)) {
  // group_map targets must be the policy's idp groups: both files are known only here.
  config::check_sso_against_policy(config_, policy_);
  AccessHooks hooks;
  hooks.deadlines_changed = [this] { sweeper_->poke(); };
  // Runs on the store's writer thread: the rebuild itself is posted to the io_context, and the
  // revoke answers once the lists that include its revocation are served.
  hooks.revocations_changed = [this](std::function<void(boost::json::object)> published) {
    publisher_->rebuild_async(
        [this, published = std::move(published)](boost::system::error_code ec) {
          boost::json::object lists;
          if (const auto snapshot = publisher_->snapshot(); snapshot && !ec) {
            lists["krl_version"] = snapshot->krl->version;
            lists["crl_number"] = snapshot->crls->number;
          }
          published(std::move(lists));
        });
  };
  // The idp groups' members as their last SSO logins stored them, before anything asks.
  sso_ = std::make_unique<SsoService>(io_, *identity_, config_.sso);
  sso_->sign_in().load_membership();
  access_ = std::make_unique<AccessService>(*store_, *identity_, config_.limits, std::move(hooks));
  MintSettings mint_settings{config_.ca.clock_skew, config_.ca.crl_url, config_.ca.ocsp_url, {}};
  mint_settings.after_commit = [this](std::function<void()> work) {
    boost::asio::post(io_, std::move(work));
  };
  certificates_ = std::make_unique<CertificateService>(*store_, *identity_, ssh_ca_, x509_ca_,
                                                       std::move(mint_settings));
  const auto postgres_sessions = dedicated_postgres_sessions(config_);
  ExpirySweeper::Leads sweeper_leads;
  if (postgres_sessions) {
    // Several brokers may share the database: the one holding the advisory lock sweeps.
    leadership_ =
        std::make_unique<SweeperLeadership>(postgres_sessions, [this](bool) { sweeper_->poke(); });
    sweeper_leads = [this] { return leadership_->leading(); };
  }
  // A deadline made on another broker pokes only that broker's sweeper, so on PostgreSQL the
  // leader looks at the earliest deadline every second instead of every 30 s: grants made anywhere
  // end within about a second of their end (docs/architecture.md, "Several brokers on one
  // database"). A wake-up with nothing due writes nothing to the WAL.
  const auto max_sleep = store_->backend() == db::Backend::postgresql ? std::chrono::seconds(1)
                                                                      : std::chrono::seconds(30);
  sweeper_ = std::make_unique<ExpirySweeper>(io_, *access_, std::chrono::system_clock::now,
                                             max_sleep, std::move(sweeper_leads));
  // With NOTIFY waking the publisher on PostgreSQL, the poll only covers a listener that is
  // reconnecting: once a second keeps that worst case within the 2 s the docs promise.
  RevocationSettings revocation{config_.ca.crl_next_update, config_.ca.clock_skew,
                                RevocationSettings{}.poll_interval};
  if (postgres_sessions) revocation.poll_interval = std::chrono::seconds(1);
  publisher_ = std::make_unique<RevocationPublisher>(*store_, ssh_ca_, x509_ca_, revocation);
  if (postgres_sessions) {
    revocation_listener_ = std::make_unique<RevocationListener>(
        io_, postgres_sessions, [this] { publisher_->check_generation(); });
  }
  // Every event, this process's and an admin command's, comes from the outbox
  // (docs/architecture.md, "Events").
  EventDeliveryOptions delivery;
  delivery.targets = webhook_targets(config_.webhooks);
  delivery.timeout = config_.webhooks.timeout;
  delivery.max_attempts = config_.webhooks.max_attempts;
  delivery.keep_delivered = config_.webhooks.keep_delivered;
  delivery.page_origin = config_.mfa.webauthn.origin;  // where the approval page is served
  // One broker per SQLite file (the data-folder lock); several may share a PostgreSQL database.
  delivery.only_deliverer = store_->backend() == db::Backend::sqlite;
  events_ = std::make_unique<EventDelivery>(io_, *store_, std::move(delivery));
  // Every audit record, also to the SIEM (docs/architecture.md, "Audit stream").
  audit_stream_ = make_audit_stream(config_.audit_stream, *store_);
  add_audit_stream_metrics(metrics_, *audit_stream_, *store_);
  metrics_.add_gauge("jit_events_undelivered",
                     "Events in the outbox not yet accepted by every webhook URL (failed ones "
                     "included).",
                     [this] { return static_cast<double>(outbox_now().undelivered); });
  metrics_.add_gauge("jit_events_failed",
                     "Undelivered events whose attempts are spent (jit-broker events retry).",
                     [this] { return static_cast<double>(outbox_now().failed); });
  metrics_.add_gauge("jit_events_oldest_undelivered_age_seconds",
                     "Age of the oldest undelivered event; 0 when none waits.", [this] {
                       const auto oldest = outbox_now().oldest_created_at;
                       if (!oldest) return 0.0;
                       return static_cast<double>(
                           std::max<std::int64_t>(0, store_->now_us() / 1'000'000 - *oldest));
                     });
  metrics_.add_gauge(
      "jit_breakglass_reviews_overdue",
      "Break-glass grants whose post-incident review is past due.", [this] {
        return static_cast<double>(access_->queries().overdue_reviews(identity_->now_seconds()));
      });
  metrics_.add_gauge("jit_breakglass_reviews_open",
                     "Break-glass grants whose post-incident review is not done yet.", [this] {
                       return static_cast<double>(access_->queries().overdue_reviews(
                           std::numeric_limits<std::int64_t>::max()));
                     });
  metrics_.add_gauge("jit_sweeper_leader",
                     "1 when this broker's expiry sweeper runs (it holds the PostgreSQL advisory "
                     "lock, or the store is SQLite), 0 while another broker sweeps.",
                     [this] { return !leadership_ || leadership_->leading() ? 1.0 : 0.0; });
  metrics_.add_gauge("jit_store_commits",
                     "Durable store transactions committed since start (one per batch of writes; "
                     "an approval with its factor is one).",
                     [this] { return static_cast<double>(store_->commits()); });
  metrics_.add_gauge(
      "jit_audit_login_failures_suppressed",
      "Failed logins since start left out of the audit log over "
      "limits.failure_audit_per_minute (each next record counts them).",
      [this] { return static_cast<double>(identity_->suppressed_failure_records()); });
  // What operators alert on (examples/monitoring/alerts.yml, docs/operations.md "Monitoring").
  metrics_.add_gauge("jit_crl_next_update_seconds",
                     "nextUpdate of the CRL the broker serves, in Unix seconds (0 before the "
                     "first publication); relying parties refuse the CRL after it.",
                     [this] {
                       const auto published = publisher_->snapshot();
                       return published && published->crls
                                  ? static_cast<double>(published->crls->next_update)
                                  : 0.0;
                     });
  metrics_.add_gauge("jit_crl_this_update_seconds",
                     "thisUpdate of the CRL the broker serves, in Unix seconds (0 before the "
                     "first publication); it is re-signed at half its lifetime.",
                     [this] {
                       const auto published = publisher_->snapshot();
                       return published && published->crls
                                  ? static_cast<double>(published->crls->this_update)
                                  : 0.0;
                     });
  {
    // Only a digest of the token stays in memory (MetricsTokenCheck).
    auto metrics_token = load_metrics_token(config_.metrics);
    readiness_ = std::make_unique<ReadinessMonitor>(readiness_checks());
    add_health_routes(router_, metrics_, metrics_token, readiness_.get());
    if (metrics_token) ca::wipe(*metrics_token);
  }
  add_auth_routes(router_, *identity_);
  add_passkey_routes(router_, *identity_);
  add_ca_routes(router_, ssh_ca_, x509_ca_);
  add_request_routes(router_, *access_);
  add_grant_routes(router_, *access_, *certificates_);
  add_revocation_routes(router_, *publisher_);
  add_ocsp_routes(router_, x509_ca_, *store_);
  add_role_routes(router_, *identity_);
  add_audit_routes(router_, *identity_);
  add_sso_routes(router_, *sso_);
  add_web_routes(router_, web_assets());
  HttpLimits limits;
  limits.max_body_bytes = config_.http.max_body_bytes;
  limits.max_header_bytes = config_.http.max_header_bytes;
  limits.read_timeout = config_.http.read_timeout;
  limits.max_connections = config_.http.max_connections;
  limits.max_connections_per_source = config_.http.max_connections_per_source;
  limits.first_byte_timeout = config_.http.first_byte_timeout;
  server_ = std::make_unique<HttpsServer>(io_, tls_, listen_endpoint(config_.listen), router_,
                                          metrics_, limits);
}

BrokerApp::~BrokerApp() {
  // Logins still running finish (their answers go nowhere now); waiting ones are dropped.
  if (identity_) identity_->stop_workers();
  if (revocation_listener_) revocation_listener_->stop();
  if (leadership_) leadership_->stop();
  if (publisher_) publisher_->stop();
  if (events_) events_->stop();
  if (audit_stream_) audit_stream_->stop();
  // Queued writes complete with callbacks into the identity service: finish them while it lives.
  store_->close();
}

std::vector<ReadinessCheck> BrokerApp::readiness_checks() const {
  // The keys that sign (the newest SSH key, the X.509 issuing key) when they are on a token; a key
  // in memory cannot become unavailable.
  std::vector<const ca::KeySigner*> signers;
  if (const auto* signer = ssh_ca_.signing_key().signer()) signers.push_back(signer);
  if (const auto* signer = x509_ca_.issuing().signer()) signers.push_back(signer);
  Store* store = store_.get();
  return {{"ca_signer",
           [signers] {
             for (const ca::KeySigner* signer : signers) {
               if (auto problem = signer->check(); !problem.empty()) {
                 return "CA key " + signer->location() + ": " + problem;
               }
             }
             return std::string();
           }},
          // A read through the store's own connections: a PostgreSQL server that is down, refuses
          // connections or fails over shows here (the error's kind only: a message could name
          // the server).
          {"database", [store] {
             try {
               store->read([](db::Connection& db) {
                 db::Statement probe(db, "SELECT 1");
                 probe.step();
               });
             } catch (const db::Error& e) {
               return "the database did not answer a read (" + e.code().message() + ")";
             }
             // The writer lost its connection and no write has committed since: an empty write
             // job makes it reconnect, so /readyz turns ready again without waiting for traffic
             // that a load balancer would not send while it is not ready.
             if (!store->writer_available()) {
               if (auto ec = store->write_sync(
                       [](WriteContext&) { return boost::system::error_code(); })) {
                 return "the database did not take a write (" + ec.message() + ")";
               }
             }
             return std::string();
           }}};
}

OutboxBacklog BrokerApp::outbox_now() {
  return store_->read([](db::Connection& db) { return outbox_backlog(db); });
}

int BrokerApp::run() {
  // Under a policy changed while the broker was down, whoever its groups no longer entitle loses
  // their grants and pending requests before the port accepts anyone.
  if (auto ended = access_->grants().end_unentitled(); !ended) {
    throw std::runtime_error("cannot end the access of users no longer entitled: " +
                             ended.error().message());
  } else if (*ended > 0) {
    log_event(LogLevel::info, "unentitled_access_ended",
              {{"grants_and_requests", std::to_string(*ended)}});
  }
  // Grants that ended while the broker was down are expired before the port accepts anyone (by
  // this broker when it leads; on PostgreSQL another broker may lead and sweep instead).
  if (leadership_) leadership_->start();
  sweeper_->start();
  readiness_->start();  // the first probes before /readyz answers
  server_->start();
  // Before the broker says it listens, so a SIGTERM from then on stops it cleanly.
  ServerRunnerOptions options;
  options.threads = config_.http.threads > 0 ? static_cast<unsigned>(config_.http.threads) : 0;
  ServerRunner runner(io_, *server_, options);
  const auto endpoint = server_->local_endpoint();
  store_->write_sync([&](WriteContext& tx) {
    boost::json::object details;
    details["listen"] = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    tx.audit({"system", "broker.start", "broker", boost::json::serialize(details)});
    return boost::system::error_code{};
  });
  const std::string listen_text =
      endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  log_event(LogLevel::info, "started", {{"listen", listen_text}});
  // Kept on stdout for people and scripts that wait for it (tests/support/broker_process.cpp).
  std::cout << "jit-broker listening on https://" << endpoint.address().to_string() << ":"
            << endpoint.port() << "/ (stop with SIGTERM or Ctrl-C)" << std::endl;
  // Passkeys work only on the configured origin (a host name, never an IP address).
  std::cout << "web approval page: " << config_.mfa.webauthn.origin << "/" << std::endl;
  publisher_->start(io_);  // builds the first lists before anything is served
  if (revocation_listener_) revocation_listener_->start();
  events_->start();
  audit_stream_->start();
  // systemd (Type=notify): READY=1 from the running loop, so the port already answers, and
  // watchdog pings from that loop, so a hung loop gets restarted (broker/systemd_notify.hpp).
  boost::asio::post(io_, [listen_text] { notify_ready(listen_text); });
  std::optional<WatchdogPinger> watchdog;
  if (const auto interval = systemd_watchdog_interval()) {
    watchdog.emplace(io_, *interval);
    watchdog->start();
  }
  runner.on_shutdown([this, &watchdog] {
    notify_stopping();
    if (watchdog) watchdog->stop();
    sweeper_->stop();
    // Closing the lock connection hands the sweeping to another broker at its next try.
    if (leadership_) leadership_->stop();
    if (revocation_listener_) revocation_listener_->stop();
    publisher_->stop();
    events_->stop();
    audit_stream_->stop();
  });
  const int code = runner.run();
  if (revocation_listener_) revocation_listener_->stop();
  if (leadership_) leadership_->stop();
  publisher_->stop();
  events_->stop();
  audit_stream_->stop();
  store_->close();
  log_event(LogLevel::info, "stopped");
  return code;
}

}  // namespace jit::broker
