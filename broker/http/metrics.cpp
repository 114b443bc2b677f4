#include "broker/http/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace jit::broker {
namespace {

constexpr std::string_view kBuiltinNames[] = {
    "jit_http_requests_total", "jit_http_request_duration_seconds", "jit_http_connections_total",
    "jit_http_open_connections"};

constexpr std::string_view kConnectionEventNames[] = {"opened",           "closed",    "refused",
                                                      "handshake_failed", "timed_out", "evicted"};

void append_double(std::string& out, double value,
                   std::chars_format format = std::chars_format::general) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    const auto [end, ec] = format == std::chars_format::general
                               ? std::to_chars(buffer, buffer + sizeof buffer, value)
                               : std::to_chars(buffer, buffer + sizeof buffer, value, format);
    out.append(buffer, ec == std::errc() ? end : buffer);
  }
}

// Label values escape backslash, double quote and newline (exposition format 0.0.4).
void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// HELP text escapes backslash and newline.
void append_help(std::string& out, std::string_view name, std::string_view help,
                 std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

bool is_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace

Metrics::Metrics() = default;

void Metrics::record_request(std::string_view route, std::string_view method, unsigned status,
                             std::chrono::nanoseconds latency) {
  const double seconds = std::chrono::duration<double>(latency).count();
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds) -
      kLatencyBuckets.begin());
  if (route.empty()) route = "unmatched";

  const std::lock_guard lock(requests_mutex_);
  auto it = routes_.find(route);
  if (it == routes_.end()) it = routes_.emplace(std::string(route), RouteStats{}).first;
  RouteStats& stats = it->second;
  ++stats.buckets[bucket];
  ++stats.count;
  stats.sum_seconds += seconds;
  for (StatusCount& entry : stats.statuses) {
    if (entry.status == status && entry.method == method) {
      ++entry.count;
      return;
    }
  }
  stats.statuses.push_back({std::string(method), status, 1});
}

void Metrics::record_connection(ConnectionEvent event) noexcept {
  connections_[static_cast<std::size_t>(event)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::check_new_name(const std::string& name) const {
  if (!is_metric_name(name)) throw std::invalid_argument("invalid metric name: " + name);
  const bool builtin = std::find(std::begin(kBuiltinNames), std::end(kBuiltinNames), name) !=
                       std::end(kBuiltinNames);
  const bool taken = std::any_of(registered_.begin(), registered_.end(),
                                 [&](const Registered& r) { return r.name == name; });
  if (builtin || taken) throw std::invalid_argument("metric registered twice: " + name);
}

MetricCounter& Metrics::add_counter(std::string name, std::string help) {
  const std::lock_guard lock(registry_mutex_);
  check_new_name(name);
  registered_.push_back(
      {std::move(name), std::move(help), std::make_unique<MetricCounter>(), {}, {}, {}});
  return *registered_.back().counter;
}

void Metrics::add_gauge(std::string name, std::string help, std::function<double()> read) {
  if (!read) throw std::invalid_argument("gauge " + name + " has no function");
  const std::lock_guard lock(registry_mutex_);
  check_new_name(name);
  registered_.push_back({std::move(name), std::move(help), nullptr, std::move(read), {}, {}});
}

void Metrics::add_family(std::string name, std::string help, std::string type,
                         std::function<std::vector<MetricSample>()> read) {
  if (!read) throw std::invalid_argument("metric family " + name + " has no function");
  if (type != "gauge" && type != "counter") {
    throw std::invalid_argument("metric family " + name + " has type " + type);
  }
  const std::lock_guard lock(registry_mutex_);
  check_new_name(name);
  registered_.push_back(
      {std::move(name), std::move(help), nullptr, {}, std::move(type), std::move(read)});
}

std::string Metrics::render() const {
  std::map<std::string, RouteStats, std::less<>> routes;
  {
    const std::lock_guard lock(requests_mutex_);
    routes = routes_;  // copied so that rendering never holds up the request path
  }
  std::string out;
  out.reserve(1024 + routes.size() * 2048);

  append_help(out, "jit_http_requests_total",
              "HTTP requests answered, by route pattern, method and status.", "counter");
  for (auto& [route, stats] : routes) {
    std::sort(stats.statuses.begin(), stats.statuses.end(), [](const auto& a, const auto& b) {
      return a.method != b.method ? a.method < b.method : a.status < b.status;
    });
    for (const StatusCount& entry : stats.statuses) {
      out += "jit_http_requests_total{route=\"";
      append_label_value(out, route);
      out += "\",method=\"";
      append_label_value(out, entry.method);
      out += "\",status=\"" + std::to_string(entry.status) + "\"} ";
      out += std::to_string(entry.count) + '\n';
    }
  }

  append_help(out, "jit_http_request_duration_seconds",
              "Time from a whole request read to its answer written, by route pattern.",
              "histogram");
  for (const auto& [route, stats] : routes) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= kLatencyBuckets.size(); ++i) {
      cumulative += stats.buckets[i];
      out += "jit_http_request_duration_seconds_bucket{route=\"";
      append_label_value(out, route);
      out += "\",le=\"";
      if (i < kLatencyBuckets.size()) {
        append_double(out, kLatencyBuckets[i], std::chars_format::fixed);  // "0.0005", not "5e-04"
      } else {
        out += "+Inf";
      }
      out += "\"} " + std::to_string(cumulative) + '\n';
    }
    out += "jit_http_request_duration_seconds_sum{route=\"";
    append_label_value(out, route);
    out += "\"} ";
    append_double(out, stats.sum_seconds);
    out += "\njit_http_request_duration_seconds_count{route=\"";
    append_label_value(out, route);
    out += "\"} " + std::to_string(stats.count) + '\n';
  }

  append_help(out, "jit_http_connections_total", "TLS connections, by what happened to them.",
              "counter");
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    out += "jit_http_connections_total{event=\"";
    out += kConnectionEventNames[i];
    out += "\"} " + std::to_string(connections_[i].load(std::memory_order_relaxed)) + '\n';
  }
  const auto opened = connections_[static_cast<std::size_t>(ConnectionEvent::opened)].load();
  const auto closed = connections_[static_cast<std::size_t>(ConnectionEvent::closed)].load();
  append_help(out, "jit_http_open_connections", "TLS connections being served now.", "gauge");
  out +=
      "jit_http_open_connections " + std::to_string(opened >= closed ? opened - closed : 0) + '\n';

  const std::lock_guard lock(registry_mutex_);
  for (const Registered& metric : registered_) {
    if (metric.samples) {
      append_help(out, metric.name, metric.help, metric.type);
      for (const MetricSample& sample : metric.samples()) {
        out += metric.name;
        char separator = '{';
        for (const auto& [label, value] : sample.labels) {
          if (!is_metric_name(label) || label.find(':') != std::string::npos) continue;
          out += separator;
          out += label;
          out += "=\"";
          append_label_value(out, value);
          out += '"';
          separator = ',';
        }
        if (separator == ',') out += '}';
        out += ' ';
        append_double(out, sample.value);
        out += '\n';
      }
      continue;
    }
    append_help(out, metric.name, metric.help, metric.counter ? "counter" : "gauge");
    out += metric.name;
    out += ' ';
    if (metric.counter) {
      out += std::to_string(metric.counter->value());
    } else {
      append_double(out, metric.read());
    }
    out += '\n';
  }
  return out;
}

}  // namespace jit::broker
