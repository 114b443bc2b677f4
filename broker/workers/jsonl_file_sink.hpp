// The audit stream's file sink (docs/architecture.md, "Audit stream"): each record as one JSON line
// (audit_stream_format.hpp) appended to a file, fsync'd once per batch before the batch counts as
// delivered. Before a line would take the file past max_bytes, the file is rotated by renaming:
// PATH.(keep-1) -> PATH.keep (the oldest is replaced), ..., PATH -> PATH.1, then a new PATH; the
// folder is fsync'd so the renames survive a crash. A failed batch is cut off again (ftruncate to
// the size before it), so a retry never leaves half a line or a repeated one behind.
#pragma once

#include "broker/workers/audit_sink.hpp"
#include "config/broker_config.hpp"

#include <cstdint>
#include <filesystem>

namespace jit::broker {

class JsonlFileSink final : public AuditSink {
 public:
  explicit JsonlFileSink(config::FileSinkSettings settings);
  ~JsonlFileSink() override;
  JsonlFileSink(const JsonlFileSink&) = delete;
  JsonlFileSink& operator=(const JsonlFileSink&) = delete;

  const std::string& kind() const override { return kind_; }
  const std::string& position_key() const override { return position_key_; }
  void deliver(const std::vector<AuditRecord>& records,
               std::function<void(SinkOutcome)> done) override;
  void close() override;

 private:
  // Each returns an error text, empty on success.
  std::string open_file();
  std::string rotate();
  std::string append(const std::string& line);

  config::FileSinkSettings settings_;
  std::string kind_ = "file";
  std::string position_key_;
  int fd_ = -1;
  std::uint64_t size_ = 0;  // bytes in the open file
};

}  // namespace jit::broker
