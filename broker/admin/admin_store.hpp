// The database as the admin commands open it (docs/operations.md, "Upgrade"). Opening a store
// migrates it, and a newer `jit-broker` run beside an older broker would change the schema under
// the running process. So an admin command migrates only what no broker serves:
// - SQLite: a database older than this binary is migrated only while the data folder's lock is
//   free, and the lock is held for the migration, so no broker starts meanwhile; with a broker
//   running, the command stops with one line and changes nothing.
// - PostgreSQL: brokers of other machines hold no lock here, so an admin command never migrates
//   an existing database; `jit-broker serve` of the new version does, at its start. A database
//   without the schema yet (a first `user enroll` before the first start) is created.
#pragma once

#include "broker/store/store.hpp"
#include "config/broker_config.hpp"

#include <memory>

namespace jit::broker {

// Throws StoreOpenError as above, or what open_broker_store throws.
std::unique_ptr<Store> open_admin_store(const config::BrokerConfig& config);

}  // namespace jit::broker
