// One destination of the audit stream (docs/architecture.md, "Audit stream"): the syslog server
// (syslog_tls_sink.hpp) or the JSON-lines file (jsonl_file_sink.hpp). The stream worker hands a
// sink one batch at a time, in seq order, on the stream's own thread, and moves the sink's position
// past the batch only when the sink reports it delivered; a failed batch is offered again later.
#pragma once

#include "broker/store/audit_chain.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace jit::broker {

struct SinkOutcome {
  bool ok = true;
  std::string reason;  // when not ok: a short class for /metrics ("connect", "tls_verify", ...)
  std::string error;   // when not ok: one line for the log; never a secret
  // When not ok: the seq up to which the batch's first records did arrive for good anyway (0:
  // none).
  std::int64_t delivered_through = 0;

  static SinkOutcome failed(std::string reason, std::string error,
                            std::int64_t delivered_through = 0) {
    return {false, std::move(reason), std::move(error), delivered_through};
  }
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // "syslog" or "file": the `sink` label of the jit_audit_stream_* metrics.
  virtual const std::string& kind() const = 0;
  // Names the destination ("syslog:HOST:PORT", "file:PATH"): the key of its position row, so a new
  // destination starts from the first record.
  virtual const std::string& position_key() const = 0;
  // Delivers `records` in order and then calls `done` once, on the stream's thread (possibly
  // before returning). Not called again before `done` ran.
  virtual void deliver(const std::vector<AuditRecord>& records,
                       std::function<void(SinkOutcome)> done) = 0;
  // Drops any connection or open file (the stream is stopping).
  virtual void close() = 0;
};

}  // namespace jit::broker
