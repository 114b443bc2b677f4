#include "broker/admin/event_commands.hpp"
#include "broker/admin/admin_store.hpp"
#include "broker/admin/operator_account.hpp"
#include "broker/store/db/db_connection.hpp"

#include "broker/broker_app.hpp"
#include "broker/data_dir.hpp"
#include "broker/store/event_outbox.hpp"
#include "broker/store/store_error.hpp"

#include <boost/json/serialize.hpp>

#include <ctime>
#include <ostream>

namespace jit::broker {
namespace {

std::string utc_time(std::int64_t seconds) {
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm parts{};
  char text[32] = "?";
  if (::gmtime_r(&time, &parts) != nullptr) {
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  }
  return text;
}

std::string state_of(const OutboxEvent& event) {
  if (event.delivered_at) return "delivered";
  if (event.failed_at) return "failed";
  return "pending";
}

// Store::open waits (busy timeout) while the running broker commits, like `krl write`.
std::unique_ptr<Store> open_event_store(const config::BrokerConfig& config) {
  const auto file = config.data_dir / "broker.db";
  if (!std::filesystem::exists(file)) throw StoreOpenError("no database at " + file.string());
  return open_admin_store(config);
}

}  // namespace

int run_events_list(const config::BrokerConfig& config, bool failed_only, std::size_t limit,
                    std::ostream& out) {
  auto store = open_event_store(config);
  std::vector<OutboxEvent> events;
  try {
    events = store->read([&](db::Connection& db) { return list_events(db, failed_only, limit); });
  } catch (const db::Error& e) {
    throw StoreOpenError(std::string("cannot read the event outbox: ") + e.what());
  }
  for (const auto& event : events) {
    out << event.id << "  " << event.event << "  " << utc_time(event.created_at) << "  "
        << state_of(event) << "  attempts=" << event.attempts;
    if (!event.delivered_at && !event.last_error.empty()) out << "  " << event.last_error;
    out << "\n";
  }
  if (events.empty()) out << (failed_only ? "no failed events\n" : "no events\n");
  return 0;
}

int run_events_retry(const config::BrokerConfig& config, const std::optional<std::string>& id,
                     std::ostream& out, std::ostream& err) {
  auto store = open_event_store(config);
  std::size_t retried = 0;
  const auto ec = store->write_sync([&](WriteContext& tx) -> boost::system::error_code {
    if (id) {
      retried = retry_event(tx.db(), *id) ? 1 : 0;
    } else {
      retried = retry_failed_events(tx.db());
    }
    if (retried == 0) return {};
    boost::json::object details{{"events", retried}};
    if (id) details["event_id"] = *id;
    tx.audit({"admin", "events.retry", id ? "event/" + *id : "events",
              boost::json::serialize(with_operator_account(std::move(details)))});
    return {};
  });
  if (ec) throw std::runtime_error("cannot retry events: " + std::string(error_code_name(ec)));
  if (id && retried == 0) {
    err << "no failed event with id " << *id << "\n";
    return 1;
  }
  out << "retried " << retried << " event(s); a running broker sends them within a second\n";
  return 0;
}

}  // namespace jit::broker
