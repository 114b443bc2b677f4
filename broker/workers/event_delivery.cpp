#include "broker/workers/event_delivery.hpp"
#include "broker/store/db/db_connection.hpp"

#include "broker/log.hpp"
#include "broker/store/event_outbox.hpp"
#include "broker/workers/webhook_bodies.hpp"
#include "broker/workers/webhook_signature.hpp"
#include "ca/bytes.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <mutex>
#include <stdexcept>

namespace jit::broker {

// A URL with its digest and signer (named, not anonymous: Core holds it).
struct DeliveryTarget {
  Url url;
  std::string digest;  // event_url_digest of the URL text
  std::optional<HmacSha256> signer;
  config::WebhookFormat format = config::WebhookFormat::json;
};

namespace {

std::int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct EventDelivery::Core : std::enable_shared_from_this<Core> {
  // One delivery round of one event: the URLs still to answer, and how they answered.
  struct Round {
    OutboxEvent event;
    std::array<std::string, 3> bodies;  // by config::WebhookFormat; made for the formats in use
    std::mutex mutex;                   // guards what follows (answers come from any io thread)
    std::size_t remaining = 0;
    AttemptResult result;
    bool recorded = false;  // the write found our claim and recorded the round (writer thread)
  };

  Core(boost::asio::io_context& io_context, Store& owner_store, EventDeliveryOptions opts)
      : io(io_context), store(owner_store), options(std::move(opts)) {
    for (const auto& target : options.targets) {
      auto url = parse_url(target.url);
      if (!url) throw std::invalid_argument("webhook URL does not parse: " + target.url);
      DeliveryTarget parsed{*url, event_url_digest(target.url), std::nullopt, target.format};
      if (target.secret) parsed.signer.emplace(*target.secret);
      targets.push_back(std::move(parsed));
    }
    // The keyed MACs hold what they need; no copy of a secret stays in this object.
    for (auto& target : options.targets) {
      if (target.secret) ca::wipe(*target.secret);
    }
    // A round POSTs to its URLs at once, so one timeout usually bounds it; one per URL is the
    // bound even if they went one after the other. The margin covers what the timeout does not:
    // name resolution, the write that records the round, clocks of brokers that differ a little.
    const auto per_url = std::chrono::duration_cast<std::chrono::microseconds>(options.timeout);
    lease_us = (per_url * static_cast<std::int64_t>(std::max<std::size_t>(1, targets.size())) +
                std::chrono::duration_cast<std::chrono::microseconds>(options.claim_margin))
                   .count();
  }

  void arm() {
    std::lock_guard lock(mutex);
    if (stopped || !timer) return;
    timer->expires_after(options.poll_interval);
    timer->async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->poll();
    });
  }

  void poll() {
    std::size_t room = 0;
    {
      std::lock_guard lock(mutex);
      if (stopped) return;
      room =
          options.max_in_flight > in_flight.size() ? options.max_in_flight - in_flight.size() : 0;
    }
    bool due = false;
    if (room > 0) {
      try {
        // A read first, so that an idle poll writes nothing.
        due = store.read(
            [&](db::Connection& db) { return has_claimable_events(db, store.now_us()); });
      } catch (const db::Error&) {
        // Read again at the next poll.
      }
    }
    if (!due) return after_poll();
    claim(room);
  }

  // Claims up to `room` due events, then sends them. PostgreSQL: one autocommit statement outside
  // the writer, so no write batch (holding the audit chain lock) waits for it nor it for one;
  // SQLite: a write job (docs/architecture.md, "Events", says why).
  void claim(std::size_t room) {
    if (store.backend() == db::Backend::postgresql) {
      std::vector<OutboxEvent> rows;
      try {
        rows = store.read([&](db::Connection& db) {
          const auto now = store.now_us();
          return claim_due_events(db, options.claimant, now, now + lease_us, room);
        });
      } catch (const db::Error&) {
        // Nothing was claimed (the statement is its own transaction): again at the next poll.
      }
      return claimed(std::move(rows));
    }
    auto rows = std::make_shared<std::vector<OutboxEvent>>();
    store.write(
        [self = shared_from_this(), rows, room](WriteContext& tx) -> boost::system::error_code {
          *rows = claim_due_events(tx.db(), self->options.claimant, tx.now_us(),
                                   tx.now_us() + self->lease_us, room);
          return {};
        },
        [self = shared_from_this(), rows](boost::system::error_code ec) {
          if (ec) rows->clear();  // not committed: nothing is claimed
          // Off the writer thread: sending starts on the io_context, unless stop() came first (the
          // io_context may be gone then; the stop's release, queued after this claim, ends it).
          std::lock_guard lock(self->mutex);
          if (self->stopped) return;
          boost::asio::post(self->io, [self, rows] { self->claimed(std::move(*rows)); });
        });
  }

  void claimed(std::vector<OutboxEvent> rows) {
    for (auto& event : rows) {
      {
        std::lock_guard lock(mutex);
        // Stopped: these claims end with the stop's release, or at the latest with their lease.
        if (stopped) break;
        // Our own lease passed while the round still ran, and this claim renewed it: the round
        // in flight records the event (the claim is still ours); no second round.
        if (std::find(in_flight.begin(), in_flight.end(), event.seq) != in_flight.end()) continue;
        in_flight.push_back(event.seq);
      }
      send(std::move(event));
    }
    after_poll();
  }

  void after_poll() {
    prune_if_due();
    arm();
  }

  // One bounded DELETE per due check; when a batch was full, the next poll deletes more.
  void prune_if_due() {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(mutex);
      if (stopped || pruning || (now < next_prune)) return;
      pruning = true;
    }
    store.write(
        [self = shared_from_this()](WriteContext& tx) -> boost::system::error_code {
          const std::int64_t cutoff = tx.now_seconds() - self->options.keep_delivered.count();
          const std::size_t deleted =
              prune_delivered_events(tx.db(), cutoff, self->options.prune_batch);
          std::lock_guard lock(self->mutex);
          self->last_prune_deleted = deleted;
          return {};
        },
        [self = shared_from_this()](boost::system::error_code ec) {
          std::lock_guard lock(self->mutex);
          self->pruning = false;
          const bool more = !ec && self->last_prune_deleted == self->options.prune_batch;
          if (!ec) self->pruned += self->last_prune_deleted;
          self->next_prune = std::chrono::steady_clock::now() +
                             (more ? std::chrono::milliseconds{0} : self->options.prune_interval);
        });
  }

  void send(OutboxEvent event) {
    auto round = std::make_shared<Round>();
    std::vector<const DeliveryTarget*> to_send;
    for (const auto& target : targets) {
      const auto& done = event.delivered_to;
      if (std::find(done.begin(), done.end(), target.digest) == done.end()) {
        to_send.push_back(&target);
        auto& body = round->bodies[static_cast<std::size_t>(target.format)];
        if (body.empty()) body = webhook_body(target.format, event, options.page_origin);
      }
    }
    round->event = std::move(event);
    round->remaining = to_send.size();
    if (to_send.empty()) return finish(round);  // no URL (left) to send to
    const std::int64_t timestamp = unix_seconds_now();
    for (const DeliveryTarget* target : to_send) {
      ClientRequest request;
      request.method = boost::beast::http::verb::post;
      request.url = target->url;
      const auto& body = round->bodies[static_cast<std::size_t>(target->format)];
      request.body = body;
      request.timeout = options.timeout;
      request.max_response_bytes = options.max_response_bytes;
      request.headers.emplace_back("X-Jit-Event-Id", round->event.id);
      request.headers.emplace_back("X-Jit-Event", round->event.event);
      request.headers.emplace_back("X-Jit-Timestamp", std::to_string(timestamp));
      if (target->signer) {
        request.headers.emplace_back("X-Jit-Signature",
                                     webhook_signature(*target->signer, timestamp, body));
      }
      async_fetch(io, options.tls, std::move(request),
                  [self = shared_from_this(), round, target](boost::system::error_code ec,
                                                             const ClientResponse& response) {
                    self->answered(round, *target, ec, response.status);
                  });
    }
  }

  void answered(const std::shared_ptr<Round>& round, const DeliveryTarget& target,
                boost::system::error_code ec, unsigned status) {
    {
      std::lock_guard lock(round->mutex);
      if (!ec && status >= 200 && status < 300) {
        round->result.accepted_by.push_back(target.digest);
      } else {
        // The host only: a URL's path may carry a token.
        round->result.error =
            (ec ? "transport error (" + ec.message() + ")" : "HTTP " + std::to_string(status)) +
            " from " + target.url.host;
      }
      if (--round->remaining > 0) return;
    }
    finish(round);
  }

  // Records the round in one write; the event leaves the in-flight set once that committed.
  void finish(const std::shared_ptr<Round>& round) {
    auto& result = round->result;
    // Delivered once every URL configured now has it (URLs removed from the config no longer
    // count; an event with no URL at all has nothing left to do).
    std::size_t wanted = 0;
    for (const auto& target : targets) {
      const auto& before = round->event.delivered_to;
      const bool had = std::find(before.begin(), before.end(), target.digest) != before.end();
      const bool now = std::find(result.accepted_by.begin(), result.accepted_by.end(),
                                 target.digest) != result.accepted_by.end();
      if (!had && !now) ++wanted;
    }
    result.all_delivered = wanted == 0;
    const int attempts = round->event.attempts + 1;
    if (!result.all_delivered) {
      if (attempts >= options.max_attempts) {
        result.give_up = true;
      } else {
        auto backoff = options.first_backoff;
        for (int i = 1; i < attempts && backoff < options.max_backoff; ++i) backoff *= 2;
        backoff = std::min(backoff, options.max_backoff);
        result.next_attempt_us =
            store.now_us() + std::chrono::duration_cast<std::chrono::microseconds>(backoff).count();
      }
    }
    {
      std::lock_guard lock(mutex);
      if (stopped) {
        // Cut short by a stop: nothing is recorded, the event is sent again after the next start.
        std::erase(in_flight, round->event.seq);
        return;
      }
    }
    store.write(
        [round, claimant = options.claimant](WriteContext& tx) -> boost::system::error_code {
          round->recorded =
              finish_attempt(tx.db(), round->event.seq, claimant, round->result, tx.now_seconds());
          if (round->recorded && round->result.give_up) {
            boost::json::object details{{"event", round->event.event},
                                        {"event_id", round->event.id},
                                        {"attempts", round->event.attempts + 1},
                                        {"reason", round->result.error}};
            tx.audit({"system", "webhook.failure", "event/" + round->event.id,
                      boost::json::serialize(details)});
          }
          return {};
        },
        [self = shared_from_this(), round](boost::system::error_code ec) {
          if (!ec && !round->recorded) {
            // Our lease passed and another worker claimed the event: it records the event now
            // (a lease shorter than a round; the event may reach a URL twice, same id).
            log_event(LogLevel::warning, "webhook_claim_lost", {{"event_id", round->event.id}});
          }
          std::lock_guard lock(self->mutex);
          std::erase(self->in_flight, round->event.seq);
          // On a failed write the row is unchanged: it is sent again, with the same id.
          if (ec || !round->recorded) return;
          if (round->result.all_delivered) ++self->delivered;
          if (round->result.give_up) ++self->failed;
        });
  }

  boost::asio::io_context& io;
  Store& store;
  EventDeliveryOptions options;
  std::vector<DeliveryTarget> targets;
  std::int64_t lease_us = 0;  // how long a claim lasts (microseconds)

  std::mutex mutex;  // guards what follows
  std::optional<boost::asio::steady_timer> timer;
  bool stopped = true;
  std::vector<std::int64_t> in_flight;  // seq of the events being sent
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  std::uint64_t pruned = 0;
  bool pruning = false;  // a prune write is queued
  std::size_t last_prune_deleted = 0;
  std::chrono::steady_clock::time_point next_prune{};  // the epoch: the first poll prunes
};

EventDelivery::EventDelivery(boost::asio::io_context& io, Store& store,
                             EventDeliveryOptions options)
    : core_(std::make_shared<Core>(io, store, std::move(options))) {}

EventDelivery::~EventDelivery() { stop(); }

void EventDelivery::start() {
  {
    std::lock_guard lock(core_->mutex);
    core_->stopped = false;
    core_->timer.emplace(core_->io);
  }
  // The first poll at once: events left from before a restart go out without waiting.
  auto first_poll = [core = core_] {
    std::lock_guard lock(core->mutex);
    if (!core->stopped) boost::asio::post(core->io, [core] { core->poll(); });
  };
  if (!core_->options.only_deliverer) return first_poll();
  // Claims of a process that died would otherwise hold their events until the lease passes.
  core_->store.write(
      [](WriteContext& tx) -> boost::system::error_code {
        release_event_claims(tx.db(), std::nullopt);
        return {};
      },
      [first_poll](boost::system::error_code) { first_poll(); });
}

void EventDelivery::stop() {
  {
    std::lock_guard lock(core_->mutex);
    if (core_->stopped) return;
    core_->stopped = true;
    core_->timer.reset();  // cancels the wait; the handler sees operation_aborted
  }
  // Rounds in flight now are not recorded. Their claims end here, so another broker (or the next
  // start) sends those events at once rather than after the lease; queued after every round
  // recorded so far.
  core_->store.write(
      [claimant = core_->options.claimant](WriteContext& tx) -> boost::system::error_code {
        release_event_claims(tx.db(), claimant);
        return {};
      },
      nullptr);
}

std::uint64_t EventDelivery::delivered() const {
  std::lock_guard lock(core_->mutex);
  return core_->delivered;
}

std::uint64_t EventDelivery::pruned() const {
  std::lock_guard lock(core_->mutex);
  return core_->pruned;
}

std::uint64_t EventDelivery::failed() const {
  std::lock_guard lock(core_->mutex);
  return core_->failed;
}

}  // namespace jit::broker
