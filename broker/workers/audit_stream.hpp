// The audit stream (docs/architecture.md, "Audit stream"): every audit record, in seq order and
// once, to each configured sink (syslog over TLS, a JSON-lines file). The records are read from the
// `audit` table itself, the ordered durable log, and each sink's position (the last seq it
// delivered) is kept in `audit_stream_positions`, so nothing is lost across a crash or a restart
// and a sink that was down catches up from where it stopped. A position is saved after its batch
// was delivered: a crash in between sends that batch again (at least once, at that boundary only).
//
// The stream runs on a thread and io_context of its own ("audit-stream"): a sink that is slow,
// down or refusing our certificate check makes only its own lag grow (/metrics), never a request
// wait or fail.
#pragma once

#include "broker/store/store.hpp"
#include "broker/workers/audit_sink.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace jit::broker {

struct AuditStreamOptions {
  std::chrono::milliseconds poll_interval{250};  // how often an idle sink looks for new records
  std::size_t batch_records = 256;               // records per delivery at most
  std::chrono::milliseconds first_retry{250};    // after a failure; doubles up to max_retry
  std::chrono::milliseconds max_retry{5000};
};

// What /metrics shows of one sink.
struct AuditSinkStatus {
  std::string sink;                               // "syslog" or "file"
  std::int64_t position = 0;                      // last seq delivered
  bool up = false;                                // the last delivery (or none yet) succeeded
  std::uint64_t delivered = 0;                    // records delivered since start
  std::map<std::string, std::uint64_t> failures;  // failed deliveries since start, by class
  std::string last_reason;  // class of the last failure ("tls_verify", "connect", ...)
  std::int64_t last_failure_unix = 0;
};

class AuditStream {
 public:
  // `make_sinks` builds the sinks on the stream's io_context (it may throw: a start-up error).
  using SinkFactory =
      std::function<std::vector<std::unique_ptr<AuditSink>>(boost::asio::io_context&)>;
  AuditStream(Store& store, const SinkFactory& make_sinks, AuditStreamOptions options = {});
  ~AuditStream();
  AuditStream(const AuditStream&) = delete;
  AuditStream& operator=(const AuditStream&) = delete;

  // Reads the saved positions and starts the thread. stop() (which saves the positions reached)
  // before the store closes; records in flight then are sent again after the next start.
  void start();
  void stop();

  [[nodiscard]] std::vector<AuditSinkStatus> status() const;
  [[nodiscard]] bool empty() const;

 private:
  struct Core;
  std::unique_ptr<Core> core_;
};

}  // namespace jit::broker
