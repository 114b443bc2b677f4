#include "broker/admin/ca_admin_store.hpp"
#include "broker/admin/admin_store.hpp"
#include "broker/admin/operator_account.hpp"

#include "broker/broker_app.hpp"
#include "broker/broker_error.hpp"
#include "broker/store/db/db_connection.hpp"
#include "ca/pkcs11_session.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace jit::broker {

void audit_ca_key_change(const config::BrokerConfig& config, const CaKeyChange& change) {
  auto store = open_admin_store(config);
  const auto ec = store->write_sync([&](WriteContext& tx) {
    boost::json::object details{
        {"kind", change.kind},
        {"fingerprint", change.fingerprint},
        {"location", ca::is_pkcs11_uri(change.location) ? ca::redact_pkcs11_uri(change.location)
                                                        : change.location}};
    tx.audit({"admin", change.action, "ca/" + change.kind,
              boost::json::serialize(with_operator_account(std::move(details)))});
    return boost::system::error_code{};
  });
  store->close();
  if (ec) {
    throw std::runtime_error("cannot write the audit record of " + change.action + ": " +
                             ec.message() + "; the key lists were not changed");
  }
}

UnexpiredCertificates unexpired_certificates(const config::BrokerConfig& config,
                                             const std::string& kind,
                                             const std::string& fingerprint, std::int64_t now) {
  auto store = open_admin_store(config);
  return store->read([&](db::Connection& db) {
    db::Statement query(db,
                        "SELECT count(*), coalesce(max(not_after), 0) FROM certificates "
                        "WHERE kind = ? AND ca_key = ? AND not_after > ?");
    query.bind(1, kind);
    query.bind(2, fingerprint);
    query.bind(3, now);
    query.step();
    return UnexpiredCertificates{query.get_int64(0), query.get_int64(1)};
  });
}

}  // namespace jit::broker
