#include "broker/workers/audit_stream_setup.hpp"
#include "broker/store/db/db_connection.hpp"

#include "broker/store/audit_stream_positions.hpp"
#include "broker/workers/jsonl_file_sink.hpp"
#include "broker/workers/syslog_tls_sink.hpp"

#include <algorithm>

namespace jit::broker {

std::unique_ptr<AuditStream> make_audit_stream(const config::AuditStreamSettings& settings,
                                               Store& store) {
  return std::make_unique<AuditStream>(store, [&settings](boost::asio::io_context& io) {
    std::vector<std::unique_ptr<AuditSink>> sinks;
    if (settings.syslog) sinks.push_back(std::make_unique<SyslogTlsSink>(io, *settings.syslog));
    if (settings.file) sinks.push_back(std::make_unique<JsonlFileSink>(*settings.file));
    return sinks;
  });
}

void add_audit_stream_metrics(Metrics& metrics, const AuditStream& stream, Store& store) {
  if (stream.empty()) return;
  // The stream and the store outlive the registry's use of these (BrokerApp owns all three).
  const AuditStream* streaming = &stream;
  Store* database = &store;
  const auto per_sink = [streaming](auto value) {
    return [streaming, value] {
      std::vector<MetricSample> samples;
      for (const auto& status : streaming->status()) {
        samples.push_back({{{"sink", status.sink}}, static_cast<double>(value(status))});
      }
      return samples;
    };
  };
  metrics.add_family("jit_audit_stream_position", "Seq of the last audit record the sink has.",
                     "gauge", per_sink([](const AuditSinkStatus& s) { return s.position; }));
  metrics.add_family(
      "jit_audit_stream_lag_records",
      "Audit records committed but not yet delivered to the sink (grows while it is down).",
      "gauge", [streaming, database] {
        std::int64_t head = 0;
        try {
          head = database->read([](db::Connection& db) { return audit_head_seq(db); });
        } catch (const db::Error&) {
          head = 0;  // shown as no lag rather than failing the whole scrape
        }
        std::vector<MetricSample> samples;
        for (const auto& status : streaming->status()) {
          samples.push_back(
              {{{"sink", status.sink}},
               static_cast<double>(std::max<std::int64_t>(0, head - status.position))});
        }
        return samples;
      });
  metrics.add_family("jit_audit_stream_up",
                     "1 when the sink's last delivery succeeded (or none was due), 0 while it "
                     "fails; the log's audit_stream_failed line says why.",
                     "gauge", per_sink([](const AuditSinkStatus& s) { return s.up ? 1 : 0; }));
  metrics.add_family("jit_audit_stream_failures_total",
                     "Failed deliveries to the sink since start, by reason (resolve, connect, "
                     "tls_verify, tls, write, closed, timeout, file_io).",
                     "counter", [streaming] {
                       std::vector<MetricSample> samples;
                       for (const auto& status : streaming->status()) {
                         for (const auto& [reason, count] : status.failures) {
                           samples.push_back({{{"sink", status.sink}, {"reason", reason}},
                                              static_cast<double>(count)});
                         }
                       }
                       return samples;
                     });
  metrics.add_family("jit_audit_stream_last_failure_timestamp_seconds",
                     "Unix time of the sink's last failed delivery (0: none since start).", "gauge",
                     per_sink([](const AuditSinkStatus& s) { return s.last_failure_unix; }));
}

}  // namespace jit::broker
