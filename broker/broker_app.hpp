// The running broker: every long-lived part, built from the config in dependency order (data folder
// lock, policy, store, TLS, CA, router, server) and torn down in reverse.
#pragma once

#include "broker/auth/identity_service.hpp"
#include "broker/data_dir.hpp"
#include "broker/http/health_routes.hpp"
#include "broker/http/metrics.hpp"
#include "broker/http/readiness_monitor.hpp"
#include "broker/http/router.hpp"
#include "broker/service/access_service.hpp"
#include "broker/service/certificate_service.hpp"
#include "broker/sso/sso_service.hpp"
#include "broker/store/event_outbox.hpp"
#include "broker/store/store.hpp"
#include "broker/workers/audit_stream.hpp"
#include "broker/workers/event_delivery.hpp"
#include "broker/workers/expiry_sweeper.hpp"
#include "broker/workers/revocation_listener.hpp"
#include "broker/workers/revocation_publisher.hpp"
#include "broker/workers/sweeper_leadership.hpp"
#include "ca/ssh_certificate_authority.hpp"
#include "ca/x509_hierarchy.hpp"
#include "config/broker_config.hpp"
#include "config/policy.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>

namespace jit::broker {

class HttpsServer;

// The broker's database for a config (<data_dir>/broker.db, or the PostgreSQL database of
// `store.backend: postgresql`), its audit chain keyed from the data key file (made on first use).
// Also used by the admin commands that write.
std::unique_ptr<Store> open_broker_store(const config::BrokerConfig& config);

// The identity service for a config (also used by admin commands that need the data key).
std::unique_ptr<IdentityService> make_identity_service(const config::BrokerConfig& config,
                                                       Store& store, const config::Policy& policy);

class BrokerApp {
 public:
  // Throws (ConfigError, StoreOpenError, SchemaError, std::runtime_error) with one clear line.
  explicit BrokerApp(config::BrokerConfig config);
  ~BrokerApp();

  // Serves until SIGTERM/SIGINT, then shuts down gracefully. Returns the exit code.
  int run();

  Store& store() { return *store_; }
  const config::Policy& policy() const { return policy_; }

 private:
  OutboxBacklog outbox_now();                            // for /metrics
  std::vector<ReadinessCheck> readiness_checks() const;  // for /readyz

  config::BrokerConfig config_;
  DataDirLock data_lock_;
  config::Policy policy_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<IdentityService> identity_;
  ca::SshCertificateAuthority ssh_ca_;
  ca::X509CaHierarchy x509_ca_;
  boost::asio::io_context io_;
  boost::asio::ssl::context tls_;
  Metrics metrics_;
  std::unique_ptr<AccessService> access_;
  std::unique_ptr<CertificateService> certificates_;
  std::unique_ptr<ExpirySweeper> sweeper_;
  std::unique_ptr<RevocationPublisher> publisher_;
  // PostgreSQL only (docs/architecture.md, "Several brokers on one database"): which broker
  // sweeps, and the LISTEN connection that wakes the publisher. Declared after what they call.
  std::unique_ptr<SweeperLeadership> leadership_;
  std::unique_ptr<RevocationListener> revocation_listener_;
  std::unique_ptr<EventDelivery> events_;
  std::unique_ptr<SsoService> sso_;  // single sign-on (docs/sso.md); no providers: list is empty
  std::unique_ptr<AuditStream> audit_stream_;    // audit records to syslog / a file
  std::unique_ptr<ReadinessMonitor> readiness_;  // /readyz; probes the CA signers off HTTP threads
  Router router_;
  std::unique_ptr<HttpsServer> server_;
};

}  // namespace jit::broker
