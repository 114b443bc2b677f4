#include "broker/workers/audit_stream.hpp"
#include "broker/store/db/db_connection.hpp"

#include "broker/log.hpp"
#include "broker/store/audit_stream_positions.hpp"

#include <pthread.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <mutex>
#include <optional>

namespace jit::broker {

namespace asio = boost::asio;

// One sink with its timer and what /metrics shows of it (named, not anonymous: Core holds it).
struct AuditSinkRunner {
  AuditSinkRunner(asio::io_context& io, std::unique_ptr<AuditSink> own)
      : sink(std::move(own)), timer(io) {}
  std::unique_ptr<AuditSink> sink;
  asio::steady_timer timer;
  std::chrono::milliseconds retry{0};
  std::int64_t position = 0;  // only the stream's thread changes it; status holds the copy
  std::string last_error;     // the last failure logged (so a sink that stays down logs once)
  AuditSinkStatus status;     // guarded by Core::mutex
};

struct AuditStream::Core {
  Core(Store& owner_store, AuditStreamOptions opts) : store(owner_store), options(opts) {}

  void schedule(AuditSinkRunner& runner, std::chrono::milliseconds after) {
    runner.timer.expires_after(after);
    runner.timer.async_wait([this, &runner](boost::system::error_code ec) {
      if (!ec) tick(runner);
    });
  }

  void tick(AuditSinkRunner& runner) {
    std::vector<AuditRecord> records;
    try {
      records = store.read([&](db::Connection& db) {
        return read_audit_records(db, runner.position,
                                  static_cast<std::int64_t>(options.batch_records));
      });
    } catch (const std::exception& e) {  // SQLite's, or a store that is closing
      log_event(LogLevel::warning, "audit_stream_read_failed",
                {{"sink", runner.sink->kind()}, {"error", e.what()}});
      return schedule(runner, options.max_retry);
    }
    if (records.empty()) return schedule(runner, options.poll_interval);
    const std::int64_t last = records.back().seq;
    const std::size_t count = records.size();
    runner.sink->deliver(records, [this, &runner, last, count](SinkOutcome outcome) {
      // Posted: a sink may answer before deliver() returns.
      asio::post(io, [this, &runner, last, count, outcome = std::move(outcome)]() mutable {
        delivered(runner, std::move(outcome), last, count);
      });
    });
  }

  void delivered(AuditSinkRunner& runner, SinkOutcome outcome, std::int64_t last,
                 std::size_t count) {
    const std::string& kind = runner.sink->kind();
    if (outcome.ok) {
      advance(runner, last, count);
      bool was_down = false;
      {
        std::lock_guard lock(mutex);
        was_down = !runner.status.up;
        runner.status.up = true;
      }
      if (was_down && !runner.last_error.empty()) {
        log_event(LogLevel::info, "audit_stream_resumed",
                  {{"sink", kind}, {"position", std::to_string(last)}});
      }
      runner.last_error.clear();
      runner.retry = options.first_retry;
      return tick(runner);
    }
    if (outcome.delivered_through > runner.position) {
      advance(runner, outcome.delivered_through,
              static_cast<std::size_t>(outcome.delivered_through - runner.position));
    }
    {
      std::lock_guard lock(mutex);
      runner.status.up = false;
      ++runner.status.failures[outcome.reason];
      runner.status.last_reason = outcome.reason;
      runner.status.last_failure_unix = store.now_us() / 1'000'000;
    }
    if (outcome.error != runner.last_error) {
      // Once per distinct problem, not once per retry.
      log_event(LogLevel::warning, "audit_stream_failed",
                {{"sink", kind},
                 {"reason", outcome.reason},
                 {"error", outcome.error},
                 {"position", std::to_string(runner.position)}});
      runner.last_error = outcome.error;
    }
    const auto wait = std::max(runner.retry, options.first_retry);
    runner.retry = std::min(wait * 2, options.max_retry);
    schedule(runner, wait);
  }

  // Moves the position on at once (so a running stream never repeats a record) and saves it;
  // a save that fails is made good by the next one (positions only grow).
  void advance(AuditSinkRunner& runner, std::int64_t seq, std::size_t count) {
    runner.position = seq;
    {
      std::lock_guard lock(mutex);
      runner.status.position = seq;
      runner.status.delivered += count;
    }
    store.write(
        [key = runner.sink->position_key(), seq](WriteContext& tx) {
          save_audit_stream_position(tx.db(), key, seq, tx.now_seconds());
          return boost::system::error_code{};
        },
        [kind = runner.sink->kind()](boost::system::error_code ec) {
          if (ec) {
            log_event(LogLevel::warning, "audit_stream_position_not_saved",
                      {{"sink", kind}, {"error", ec.message()}});
          }
        });
  }

  Store& store;
  AuditStreamOptions options;
  asio::io_context io;  // declared before the runners: their sockets and timers use it
  std::vector<std::unique_ptr<AuditSinkRunner>> runners;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::mutex lifecycle;      // start and stop
  mutable std::mutex mutex;  // guards each runner's status
};

AuditStream::AuditStream(Store& store, const SinkFactory& make_sinks, AuditStreamOptions options)
    : core_(std::make_unique<Core>(store, options)) {
  for (auto& sink : make_sinks(core_->io)) {
    auto runner = std::make_unique<AuditSinkRunner>(core_->io, std::move(sink));
    runner->status.sink = runner->sink->kind();
    runner->status.up = true;  // until a delivery fails
    core_->runners.push_back(std::move(runner));
  }
}

AuditStream::~AuditStream() { stop(); }

bool AuditStream::empty() const { return core_->runners.empty(); }

void AuditStream::start() {
  std::lock_guard lifecycle(core_->lifecycle);
  if (core_->runners.empty() || core_->thread.joinable()) return;
  for (auto& runner : core_->runners) {
    const auto& key = runner->sink->position_key();
    runner->position =
        core_->store.read([&](db::Connection& db) { return audit_stream_position(db, key); });
    {
      std::lock_guard lock(core_->mutex);
      runner->status.position = runner->position;
    }
    asio::post(core_->io, [core = core_.get(), r = runner.get()] { core->tick(*r); });
  }
  core_->work.emplace(core_->io.get_executor());
  core_->thread = std::thread([core = core_.get()] {
    ::pthread_setname_np(::pthread_self(), "audit-stream");
    core->io.run();
  });
}

void AuditStream::stop() {
  std::lock_guard lifecycle(core_->lifecycle);  // the shutdown hook and run() may both stop it
  if (!core_->thread.joinable()) return;
  core_->work.reset();
  core_->io.stop();
  core_->thread.join();
  // The thread is gone: nothing else touches the sinks now. Handlers still queued are dropped
  // with the io_context. The positions reached are saved before this returns (a store already
  // closed refuses at once: the earlier saves stand, and the next start resends the rest).
  for (auto& runner : core_->runners) {
    runner->sink->close();
    if (runner->position == 0) continue;
    (void)core_->store.write_sync(
        [key = runner->sink->position_key(), seq = runner->position](WriteContext& tx) {
          save_audit_stream_position(tx.db(), key, seq, tx.now_seconds());
          return boost::system::error_code{};
        });
  }
}

std::vector<AuditSinkStatus> AuditStream::status() const {
  std::lock_guard lock(core_->mutex);
  std::vector<AuditSinkStatus> statuses;
  for (const auto& runner : core_->runners) statuses.push_back(runner->status);
  return statuses;
}

}  // namespace jit::broker
