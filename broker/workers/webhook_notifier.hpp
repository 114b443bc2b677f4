// Webhooks: a JSON POST to every configured URL on request and grant events. Delivery never blocks
// the request path (it runs on the io_context), is retried with exponential backoff, and a delivery
// that finally fails, or is dropped because too many are pending, is written to the audit log.
#pragma once

#include "broker/client/http_client.hpp"
#include "broker/store/store.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace jit::broker {

struct WebhookOptions {
  std::vector<std::string> urls;
  std::chrono::milliseconds timeout{5000};
  int max_attempts = 5;
  std::chrono::milliseconds first_backoff{1000};  // doubles per attempt, capped at 5 minutes
  std::size_t max_pending = 1000;
  ClientTlsOptions tls;
};

class WebhookNotifier {
 public:
  // Throws std::invalid_argument naming a URL that does not parse (checked at start-up).
  WebhookNotifier(boost::asio::io_context& io, Store& store, WebhookOptions options);

  // Sends {"event", "time", "data"} to every URL. Safe to call from any thread; returns at once.
  // `time` is when the event happened (Unix seconds; now when absent). `settled`, when given, runs
  // once every URL has either accepted the event or been given up on after max_attempts (a
  // failure the audit log records), at once when no URL is configured; it does not run for a
  // delivery cut short because the broker stops, so an outbox row stays to be sent again.
  void notify(std::string event, boost::json::object data, std::function<void()> settled = {},
              std::optional<std::int64_t> time = {});

  std::uint64_t delivered() const { return delivered_.load(); }
  std::uint64_t failed() const { return failed_.load(); }
  std::size_t pending() const { return pending_.load(); }

 private:
  struct Delivery;
  struct Settlement;
  void attempt(std::shared_ptr<Delivery> delivery);
  // `final`: the delivery ended for good (settles it); false when the broker stops under it.
  void give_up(const std::shared_ptr<Delivery>& delivery, const std::string& why,
               bool final = true);

  boost::asio::io_context& io_;
  Store& store_;
  WebhookOptions options_;
  std::vector<Url> urls_;
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::size_t> pending_{0};
};

}  // namespace jit::broker
