// Delivers the event outbox (broker/store/event_outbox.hpp) to the webhooks (docs/architecture.md,
// "Events"): every poll interval it claims the due events with a lease (so that brokers sharing a
// database send each event once; a claim whose broker died passes to another once the lease
// ends), POSTs each to every configured URL that has not accepted it yet, signed with that URL's
// secret, (as JSON, or as a Slack or Teams message: broker/workers/chat_formats.hpp),
// then records the round in one write, which ends the claim: the URLs that answered 2xx, and the
// event delivered, due again after an exponential backoff, or failed once its attempts are spent
// (audited, listed by `jit-broker events list --failed`, sent again after `events retry`). At
// least once: an event is marked only after its receivers answered, so a crash in between sends
// it again (after a restart, or by another broker after the lease), with the same id. Every POST is
// bounded in time and answer size, follows no redirect, and runs on the io_context without any
// request waiting for it. Delivered events are pruned once they are older than keep_delivered, so
// the outbox stays the size of what is recent or waiting.
#pragma once

#include "broker/broker_instance.hpp"
#include "broker/client/http_client.hpp"
#include "broker/store/store.hpp"
#include "config/broker_config.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace jit::broker {

struct WebhookTarget {
  std::string url;                    // http:// or https://
  std::optional<std::string> secret;  // signs each POST (X-Jit-Signature); none: unsigned
  config::WebhookFormat format = config::WebhookFormat::json;  // the event, or a chat message
};

struct EventDeliveryOptions {
  std::vector<WebhookTarget> targets;
  std::chrono::milliseconds timeout{5000};  // one POST, connect to last byte
  int max_attempts = 5;                     // delivery rounds before an event is marked failed
  std::chrono::milliseconds first_backoff{1000};  // doubles per round, up to max_backoff
  std::chrono::milliseconds max_backoff{5 * 60 * 1000};
  std::chrono::milliseconds poll_interval{250};
  std::size_t max_in_flight = 100;  // events being sent at once
  // The name claims are made under: this process (tests run two workers in one process).
  std::string claimant = broker_instance_id();
  // A claim lasts timeout × URLs + claim_margin, longer than a round, so that no other broker
  // takes an event this one is still sending.
  std::chrono::milliseconds claim_margin{10'000};
  // No other process delivers from this outbox (SQLite: one broker per data folder), so claims
  // found at start are from a process that died: released at once instead of after their lease.
  bool only_deliverer = false;
  // Delivered events older than this leave the outbox (webhooks.keep_delivered); the audit log
  // keeps them. Checked at start and then every prune_interval, a bounded batch at a time.
  std::chrono::seconds keep_delivered{std::chrono::hours{24 * 30}};
  std::chrono::milliseconds prune_interval{std::chrono::hours{1}};
  std::size_t prune_batch = 1000;
  std::size_t max_response_bytes = 64 * 1024;
  ClientTlsOptions tls;
  // The approval page's origin (mfa.webauthn.origin): chat messages link to the request there.
  std::string page_origin;
};

class EventDelivery {
 public:
  // Throws std::invalid_argument naming a URL that does not parse (checked at start-up).
  EventDelivery(boost::asio::io_context& io, Store& store, EventDeliveryOptions options);
  ~EventDelivery();
  EventDelivery(const EventDelivery&) = delete;
  EventDelivery& operator=(const EventDelivery&) = delete;

  // Polls on the io_context from now on; stop() before the io_context or the store go. Rounds in
  // flight when it stops are not recorded, and their claims are released (a write): their events
  // are sent again by another broker or after the next start.
  void start();
  void stop();

  // Events marked delivered, marked failed, and pruned from the outbox since start (tests).
  [[nodiscard]] std::uint64_t delivered() const;
  [[nodiscard]] std::uint64_t failed() const;
  [[nodiscard]] std::uint64_t pruned() const;

 private:
  struct Core;
  std::shared_ptr<Core> core_;  // shared with the callbacks, which may run after this is gone
};

}  // namespace jit::broker
