// Builds the audit stream from broker.yaml's `audit_stream` section and shows it in /metrics
// (docs/operations.md, "Audit stream to a SIEM"). Called by BrokerApp at start-up.
#pragma once

#include "broker/http/metrics.hpp"
#include "broker/store/store.hpp"
#include "broker/workers/audit_stream.hpp"
#include "config/broker_config.hpp"

#include <memory>

namespace jit::broker {

// One sink per configured destination (none: a stream with nothing to do). Throws
// std::runtime_error when the syslog CA file or client key does not load.
std::unique_ptr<AuditStream> make_audit_stream(const config::AuditStreamSettings& settings,
                                               Store& store);

// jit_audit_stream_position, _lag_records, _up, _failures_total, _last_failure_timestamp_seconds,
// each with a `sink` label ("syslog", "file").
void add_audit_stream_metrics(Metrics& metrics, const AuditStream& stream, Store& store);

}  // namespace jit::broker
