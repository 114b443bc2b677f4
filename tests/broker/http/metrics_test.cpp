#include "broker/http/metrics.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace jit::broker {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

bool contains(const std::string& text, std::string_view line) {
  return text.find(std::string(line) + "\n") != std::string::npos;
}

TEST(Metrics, CountsRequestsByRouteMethodAndStatus) {
  Metrics metrics;
  metrics.record_request("/v1/requests/{id}", "GET", 200, microseconds(100));
  metrics.record_request("/v1/requests/{id}", "GET", 200, microseconds(100));
  metrics.record_request("/v1/requests/{id}", "GET", 404, microseconds(100));
  metrics.record_request("/v1/requests/{id}", "POST", 200, microseconds(100));
  metrics.record_request("", "OTHER", 400, microseconds(100));
  const std::string text = metrics.render();
  EXPECT_TRUE(contains(text, "# TYPE jit_http_requests_total counter"));
  EXPECT_TRUE(contains(
      text, R"(jit_http_requests_total{route="/v1/requests/{id}",method="GET",status="200"} 2)"));
  EXPECT_TRUE(contains(
      text, R"(jit_http_requests_total{route="/v1/requests/{id}",method="GET",status="404"} 1)"));
  EXPECT_TRUE(contains(
      text, R"(jit_http_requests_total{route="/v1/requests/{id}",method="POST",status="200"} 1)"));
  EXPECT_TRUE(contains(
      text, R"(jit_http_requests_total{route="unmatched",method="OTHER",status="400"} 1)"));
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics metrics;
  metrics.record_request("/healthz", "GET", 200, microseconds(400));   // <= 0.0005
  metrics.record_request("/healthz", "GET", 200, microseconds(500));   // exactly on a bound
  metrics.record_request("/healthz", "GET", 200, milliseconds(3));     // <= 0.005
  metrics.record_request("/healthz", "GET", 200, milliseconds(6000));  // above 5 s
  const std::string text = metrics.render();
  EXPECT_TRUE(contains(text, "# TYPE jit_http_request_duration_seconds histogram"));
  const char* expected[] = {
      R"(jit_http_request_duration_seconds_bucket{route="/healthz",le="0.0005"} 2)",
      R"(jit_http_request_duration_seconds_bucket{route="/healthz",le="0.001"} 2)",
      R"(jit_http_request_duration_seconds_bucket{route="/healthz",le="0.0025"} 2)",
      R"(jit_http_request_duration_seconds_bucket{route="/healthz",le="0.005"} 3)",
      R"(jit_http_request_duration_seconds_bucket{route="/healthz",le="5"} 3)",
      R"(jit_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"} 4)",
      R"(jit_http_request_duration_seconds_count{route="/healthz"} 4)",
  };
  for (const char* line : expected) EXPECT_TRUE(contains(text, line)) << line << "\n" << text;
  const std::string sum_prefix = R"(jit_http_request_duration_seconds_sum{route="/healthz"} )";
  const std::size_t at = text.find(sum_prefix);
  ASSERT_NE(at, std::string::npos);
  EXPECT_NEAR(std::stod(text.substr(at + sum_prefix.size())), 6.0039, 1e-9);
}

TEST(Metrics, ConnectionEventsAndOpenGauge) {
  Metrics metrics;
  metrics.record_connection(ConnectionEvent::opened);
  metrics.record_connection(ConnectionEvent::opened);
  metrics.record_connection(ConnectionEvent::closed);
  metrics.record_connection(ConnectionEvent::refused);
  metrics.record_connection(ConnectionEvent::timed_out);
  const std::string text = metrics.render();
  EXPECT_TRUE(contains(text, R"(jit_http_connections_total{event="opened"} 2)"));
  EXPECT_TRUE(contains(text, R"(jit_http_connections_total{event="refused"} 1)"));
  EXPECT_TRUE(contains(text, R"(jit_http_connections_total{event="handshake_failed"} 0)"));
  EXPECT_TRUE(contains(text, R"(jit_http_connections_total{event="timed_out"} 1)"));
  EXPECT_TRUE(contains(text, "jit_http_open_connections 1"));
}

TEST(Metrics, RegisteredCountersAndGauges) {
  Metrics metrics;
  MetricCounter& minted = metrics.add_counter("jit_certificates_minted_total", "Certificates.");
  double overdue = 3;
  metrics.add_gauge("jit_breakglass_reviews_overdue", "Open reviews past due.\nSee runbook \\ 7.",
                    [&overdue] { return overdue; });
  minted.increment();
  minted.increment(4);
  overdue = 2.5;
  const std::string text = metrics.render();
  EXPECT_TRUE(contains(text, "# HELP jit_certificates_minted_total Certificates."));
  EXPECT_TRUE(contains(text, "# TYPE jit_certificates_minted_total counter"));
  EXPECT_TRUE(contains(text, "jit_certificates_minted_total 5"));
  EXPECT_TRUE(contains(text,
                       "# HELP jit_breakglass_reviews_overdue Open reviews past due.\\nSee runbook "
                       "\\\\ 7."));
  EXPECT_TRUE(contains(text, "# TYPE jit_breakglass_reviews_overdue gauge"));
  EXPECT_TRUE(contains(text, "jit_breakglass_reviews_overdue 2.5"));
}

TEST(Metrics, LabelledFamiliesRenderOneLinePerSample) {
  Metrics metrics;
  std::vector<MetricSample> now = {{{{"sink", "syslog"}}, 7}, {{{"sink", "fi\"le"}}, 0}};
  metrics.add_family("jit_audit_stream_lag_records", "Lag.", "gauge", [&now] { return now; });
  metrics.add_family("jit_audit_stream_failures_total", "Failures.", "counter", [] {
    return std::vector<MetricSample>{{{{"sink", "syslog"}, {"reason", "tls_verify"}}, 3}};
  });
  const std::string text = metrics.render();
  EXPECT_TRUE(contains(text,
                       "# TYPE jit_audit_stream_lag_records gauge\n"
                       "jit_audit_stream_lag_records{sink=\"syslog\"} 7\n"
                       "jit_audit_stream_lag_records{sink=\"fi\\\"le\"} 0"))
      << text;
  EXPECT_TRUE(contains(text,
                       "# TYPE jit_audit_stream_failures_total counter\n"
                       "jit_audit_stream_failures_total{sink=\"syslog\",reason=\"tls_verify\"} 3"))
      << text;
  now.clear();  // a family with no sample keeps only its HELP and TYPE
  EXPECT_NE(metrics.render().find("# TYPE jit_audit_stream_lag_records gauge\n# HELP"),
            std::string::npos);
  EXPECT_THROW(metrics.add_family("jit_audit_stream_lag_records", "again", "gauge",
                                  [] { return std::vector<MetricSample>{}; }),
               std::invalid_argument);
  EXPECT_THROW(metrics.add_family("jit_x", "bad type", "histogram",
                                  [] { return std::vector<MetricSample>{}; }),
               std::invalid_argument);
}

TEST(Metrics, RefusesBadAndDuplicateNames) {
  Metrics metrics;
  metrics.add_counter("jit_a_total", "a");
  EXPECT_THROW(metrics.add_counter("jit_a_total", "again"), std::invalid_argument);
  EXPECT_THROW(metrics.add_gauge("jit_a_total", "again", [] { return 1.0; }),
               std::invalid_argument);
  EXPECT_THROW(metrics.add_counter("jit_http_requests_total", "built in"), std::invalid_argument);
  EXPECT_THROW(metrics.add_counter("", "empty"), std::invalid_argument);
  EXPECT_THROW(metrics.add_counter("1abc", "digit first"), std::invalid_argument);
  EXPECT_THROW(metrics.add_counter("a-b", "dash"), std::invalid_argument);
  EXPECT_THROW(metrics.add_counter("a b", "space"), std::invalid_argument);
  EXPECT_THROW(metrics.add_gauge("jit_g", "no function", {}), std::invalid_argument);
}

TEST(Metrics, LabelValuesAreEscaped) {
  Metrics metrics;
  metrics.record_request("/a\"b\\c\nd", "GET", 200, microseconds(1));
  EXPECT_TRUE(
      contains(metrics.render(),
               R"(jit_http_requests_total{route="/a\"b\\c\nd",method="GET",status="200"} 1)"));
}

TEST(Metrics, ConcurrentRecordingLosesNothing) {
  Metrics metrics;
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kEach; ++i) {
        metrics.record_request(t % 2 ? "/a" : "/b", "GET", 200, microseconds(i % 3000));
        if (i % 1000 == 0) (void)metrics.render();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::string text = metrics.render();
  EXPECT_TRUE(
      contains(text, R"(jit_http_requests_total{route="/a",method="GET",status="200"} 40000)"));
  EXPECT_TRUE(contains(text, R"(jit_http_request_duration_seconds_count{route="/b"} 40000)"));
  EXPECT_TRUE(
      contains(text, R"(jit_http_request_duration_seconds_bucket{route="/b",le="+Inf"} 40000)"));
}

}  // namespace
}  // namespace jit::broker
