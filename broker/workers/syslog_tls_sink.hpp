// The audit stream's syslog sink (docs/architecture.md, "Audit stream"): RFC 5424 messages
// (audit_stream_format.hpp) in RFC 6587 octet-counted frames over one TLS connection (RFC 5425),
// on the stream's io_context. The server certificate must chain to `ca_file` and name
// `server_name` (OpenSSL's own host/IP check, so the log names the exact verification error); one
// that does not verify means nothing is sent. Every step is bounded by `timeout`: resolving,
// connecting and the handshake together, and each write until the server's TCP acknowledged it.
//
// Syslog over TCP has no application acknowledgement, so a batch counts as delivered only once its
// bytes left our send queue (the peer's TCP acknowledged them, SIOCOUTQ) on a connection that is
// still open: a read is kept pending to see the server close or reset it. A server that dies with
// a batch unread costs that batch a resend: at least once, duplicates possible at that boundary.
#pragma once

#include "broker/workers/audit_sink.hpp"
#include "broker/workers/audit_stream_format.hpp"
#include "config/broker_config.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>

namespace jit::broker {

struct SyslogConnection;

class SyslogTlsSink final : public AuditSink {
 public:
  // Loads the CA file (and the client certificate and key); throws std::runtime_error naming the
  // file that does not load (a start-up error).
  SyslogTlsSink(boost::asio::io_context& io, config::SyslogSinkSettings settings);
  ~SyslogTlsSink() override;
  SyslogTlsSink(const SyslogTlsSink&) = delete;
  SyslogTlsSink& operator=(const SyslogTlsSink&) = delete;

  const std::string& kind() const override { return kind_; }
  const std::string& position_key() const override { return position_key_; }
  void deliver(const std::vector<AuditRecord>& records,
               std::function<void(SinkOutcome)> done) override;
  void close() override;

 private:
  using Done = std::function<void(SinkOutcome)>;
  void connect(std::string frames, Done done);
  void handshake(const std::shared_ptr<SyslogConnection>& connection, std::string frames,
                 Done done);
  void write(const std::shared_ptr<SyslogConnection>& connection, std::string frames, Done done);
  void confirm(const std::shared_ptr<SyslogConnection>& connection,
               std::chrono::steady_clock::time_point written_at, Done done);
  void fail(const std::shared_ptr<SyslogConnection>& connection, SinkOutcome outcome, Done done);

  boost::asio::io_context& io_;
  config::SyslogSinkSettings settings_;
  boost::asio::ssl::context tls_;
  SyslogHeader header_;
  std::string kind_ = "syslog";
  std::string position_key_;
  std::shared_ptr<SyslogConnection> connection_;  // the open one, if any
};

}  // namespace jit::broker
