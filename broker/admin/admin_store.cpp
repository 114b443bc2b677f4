#include "broker/admin/admin_store.hpp"

#include "broker/broker_app.hpp"
#include "broker/data_dir.hpp"
#include "broker/store/db/postgres_connection.hpp"
#include "broker/store/migrations.hpp"
#include "broker/store/store_error.hpp"
#include "broker/store/store_url.hpp"

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <optional>
#include <string>

namespace jit::broker {
namespace {

// The schema version of the SQLite file, read without changing it; nullopt when there is no file.
std::optional<int> sqlite_schema_version(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::nullopt;
  try {
    SQLite::Database db(file.string(), SQLite::OPEN_READONLY);
    return db.execAndGet("PRAGMA user_version").getInt();
  } catch (const SQLite::Exception& e) {
    throw StoreOpenError("cannot read database " + file.string() + ": " + e.getErrorStr());
  }
}

std::string versions(int found) {
  return "schema version " + std::to_string(found) + ", and this jit-broker's is " +
         std::to_string(latest_schema_version());
}

}  // namespace

std::unique_ptr<Store> open_admin_store(const config::BrokerConfig& config) {
  if (config.store.backend == config::StoreBackend::postgresql) {
    int found = 0;
    try {
      auto db = db::PostgresConnection::connect(configured_store_url(config.store));
      found = schema_version(*db);
    } catch (const db::Error& e) {
      // pg::Error messages never hold the password (broker/store/pg/pg_error.hpp).
      throw StoreOpenError(std::string("cannot open the PostgreSQL database: ") + e.what());
    }
    if (found > 0 && found < latest_schema_version()) {
      throw StoreOpenError("the PostgreSQL database is at " + versions(found) +
                           ": start `jit-broker serve` of this version once (it migrates), then "
                           "run this command again");
    }
    return open_broker_store(config);
  }
  const auto file = config.data_dir / "broker.db";
  const auto found = sqlite_schema_version(file);
  if (!found || *found >= latest_schema_version()) return open_broker_store(config);
  std::optional<DataDirLock> lock;
  try {
    lock.emplace(config.data_dir);
  } catch (const StoreOpenError&) {
    throw StoreOpenError("database " + file.string() + " is at " + versions(*found) +
                         ", and a broker is running on it: stop the broker (it may be older) "
                         "before running this command, or use the jit-broker of its version");
  }
  return open_broker_store(config);  // migrated under the lock, which ends with this call
}

}  // namespace jit::broker
