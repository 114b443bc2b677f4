// The audit stream to a real rsyslogd (docs/operations.md, "Audit stream to a SIEM"): a
// `jit-broker serve` streams every audit record over TLS (RFC 5424, octet-counted) to rsyslog's
// imtcp on 127.0.0.1, which writes each message's MSG to a file. rsyslog is stopped while requests
// go on (the stream lags, /metrics shows it, no request fails) and started again on the same port:
// every record arrives once, in order, and `jit-broker audit verify --against` accepts rsyslog's
// file and the file sink's. A server certificate that does not verify means nothing is sent, and
// /metrics and the log say why; so does one that names another host.
#include "tests/support/child_process.hpp"
#include "tests/support/files.hpp"
#include "tests/support/running_broker.hpp"
#include "tests/support/ssh_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include <csignal>
#include <numeric>
#include <sstream>
#include <thread>

namespace jit::broker {
namespace {

using namespace jit::testing;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace http = broker::http;

constexpr const char* kRsyslogd = "/usr/sbin/rsyslogd";

bool syslog_eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 20s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// A self-signed certificate for localhost and 127.0.0.1 (its own CA), made with openssl.
void make_siem_certificate(const std::filesystem::path& dir, const std::string& name) {
  const auto [code, out, err] = ChildProcess::run(
      {kOpensslBinary, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", (dir / (name + ".key")).string(), "-out",
       (dir / (name + ".pem")).string(), "-days", "1", "-subj", "/CN=" + name, "-addext",
       "subjectAltName=DNS:localhost,IP:127.0.0.1"},
      dir);
  ASSERT_EQ(code, 0) << err;
}

bool accepts_tcp(std::uint16_t port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

// rsyslogd in the foreground with a config of its own: imtcp over TLS (OpenSSL driver, anonymous
// client authentication, octet-counted framing accepted as by default), each message's MSG to
// `received` via a template of just %msg% (only the broker's messages, not rsyslog's own).
class Rsyslog {
 public:
  Rsyslog(const std::filesystem::path& dir, const std::string& cert_name, std::uint16_t port)
      : dir_(dir), port_(port) {
    const auto cert = (dir / (cert_name + ".pem")).string();
    write_text(dir / "rsyslog.conf",
               "global(workDirectory=\"" + dir.string() +
                   "\" maxMessageSize=\"256k\"\n"
                   "       DefaultNetstreamDriver=\"ossl\"\n"
                   "       DefaultNetstreamDriverCAFile=\"" +
                   cert + "\"\n       DefaultNetstreamDriverCertFile=\"" + cert +
                   "\"\n       DefaultNetstreamDriverKeyFile=\"" +
                   (dir / (cert_name + ".key")).string() +
                   "\")\n"
                   "module(load=\"imtcp\" StreamDriver.Name=\"ossl\" StreamDriver.Mode=\"1\"\n"
                   "       StreamDriver.AuthMode=\"anon\")\n"
                   "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" +
                   std::to_string(port) +
                   "\")\n"
                   "template(name=\"msgonly\" type=\"string\" string=\"%msg%\\n\")\n"
                   "if $app-name == \"jit-broker\" then {\n"
                   "  action(type=\"omfile\" file=\"" +
                   received().string() + "\" template=\"msgonly\")\n}\n");
  }
  ~Rsyslog() { stop(); }

  void start() {
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kRsyslogd, "-f", (dir_ / "rsyslog.conf").string(), "-i",
                                 (dir_ / "rsyslog.pid").string(), "-n"},
        dir_);
    ASSERT_TRUE(syslog_eventually([&] { return accepts_tcp(port_); }, 10s))
        << "rsyslogd did not listen: " << process_->err();
  }
  void stop() {
    if (!process_) return;
    process_->signal(SIGTERM);
    EXPECT_TRUE(process_->wait(10s).has_value());
    process_.reset();
  }
  std::filesystem::path received() const { return dir_ / "received.log"; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::filesystem::path dir_;
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> process_;
};

// The seq of each JSON line in `file` (none when it does not exist yet).
std::vector<std::int64_t> received_seqs(const std::filesystem::path& file) {
  std::vector<std::int64_t> seqs;
  if (!std::filesystem::exists(file)) return seqs;
  std::istringstream lines(read_text(file));
  for (std::string line; std::getline(lines, line);) {
    boost::system::error_code ec;
    const auto value = json::parse(line, ec);
    if (ec) break;  // a line rsyslog is still writing
    seqs.push_back(value.as_object().at("seq").as_int64());
  }
  return seqs;
}

// The value of one /metrics line `name{labels}`, or -1 when it is not there.
double metric_value(const std::string& metrics, const std::string& series) {
  const auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(metrics.substr(at + series.size() + 2));
}

std::string audit_stream_yaml(const std::filesystem::path& siem, const std::string& address,
                              const std::string& ca_name,
                              const std::string& server_name = "localhost") {
  return "audit_stream:\n  syslog:\n    address: '" + address +
         "'\n    ca_file: " + (siem / (ca_name + ".pem")).string() +
         "\n    server_name: " + server_name +
         "\n    timeout: 2s\n  file:\n    path: " + (siem / "audit.jsonl").string() + "\n";
}

class AuditStreamSyslogTest : public ::testing::Test {
 protected:
  json::object post(RunningBroker& broker, const std::string& user, const std::string& target,
                    const json::object& body, unsigned expected_status) {
    broker::HttpRequest request(http::verb::post, target, 11);
    request.set(http::field::authorization, "Bearer " + broker.token(user));
    request.set(http::field::content_type, "application/json");
    request.body() = json::serialize(body);
    const auto answer = broker.client()->request(std::move(request));
    EXPECT_EQ(answer.result_int(), expected_status) << target << ": " << answer.body();
    return json::parse(answer.body()).as_object();
  }
  // `audit verify --against FILE --from 1` with the broker's own config.
  static std::tuple<int, std::string, std::string> verify_against(
      const RunningBroker& broker, const std::filesystem::path& file) {
    return ChildProcess::run({kBrokerBinary, "--config", (broker.dir() / "broker.yaml").string(),
                              "audit", "verify", "--against", file.string(), "--from", "1"},
                             broker.dir());
  }

  TempDir siem_;
};

TEST_F(AuditStreamSyslogTest, RsyslogDownAndBackGetsEveryRecordOnceInOrder) {
  make_siem_certificate(siem_.path(), "siem");
  Rsyslog rsyslog(siem_.path(), "siem", free_loopback_port());
  rsyslog.start();
  RunningBroker broker(test_policy(), audit_stream_yaml(siem_.path(), rsyslog.address(), "siem"),
                       {"alice", "bob"});
  const auto head = [&] { return broker.snapshot().audit_seq; };
  const auto caught_up = [&](const std::filesystem::path& file) {
    const auto seqs = received_seqs(file);
    return !seqs.empty() && seqs.back() == head();
  };
  ASSERT_TRUE(syslog_eventually([&] { return caught_up(rsyslog.received()); }));
  ASSERT_TRUE(syslog_eventually([&] {
    return metric_value(broker.metrics(), R"(jit_audit_stream_lag_records{sink="syslog"})") == 0;
  }));

  rsyslog.stop();
  const auto before = head();
  // Requests go on while the SIEM is away: none fails or waits for it.
  const auto started = std::chrono::steady_clock::now();
  const auto created = post(broker, "alice", "/v1/requests",
                            {{"role", "prod-db-read"},
                             {"duration", "30m"},
                             {"reason", "SIEM outage drill"},
                             {"ticket", "INC-7"}},
                            201);
  post(broker, "alice", "/v1/requests/" + std::string(created.at("id").as_string()) + "/cancel", {},
       200);
  post(broker, "bob", "/v1/requests",
       {{"role", "prod-db-read"},
        {"duration", "15m"},
        {"reason", "read replica lag"},
        {"ticket", "INC-8"}},
       201);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  ASSERT_GT(head(), before);
  ASSERT_TRUE(syslog_eventually([&] {
    const auto metrics = broker.metrics();
    return metric_value(metrics, R"(jit_audit_stream_lag_records{sink="syslog"})") > 0 &&
           metric_value(metrics, R"(jit_audit_stream_up{sink="syslog"})") == 0;
  })) << broker.metrics();
  // The file sink is not held up by the syslog one.
  ASSERT_TRUE(syslog_eventually([&] { return caught_up(siem_ / "audit.jsonl"); }));
  EXPECT_NE(broker.stderr_text().find("audit_stream_failed"), std::string::npos);

  rsyslog.start();  // the same port
  ASSERT_TRUE(syslog_eventually([&] { return caught_up(rsyslog.received()); }))
      << broker.stderr_text();
  const auto seqs = received_seqs(rsyslog.received());
  std::vector<std::int64_t> expected(static_cast<std::size_t>(seqs.back()));
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(seqs, expected);  // each once, in order, none missing
  EXPECT_EQ(received_seqs(siem_ / "audit.jsonl"), expected);
  for (const auto& copy : {rsyslog.received(), siem_ / "audit.jsonl"}) {
    const auto [code, out, err] = verify_against(broker, copy);
    EXPECT_EQ(code, 0) << out << err;
    EXPECT_NE(out.find(": ok"), std::string::npos) << out << err;
  }
  // And a copy altered after the fact does not pass.
  auto text = read_text(rsyslog.received());
  ASSERT_NE(text.find("\"alice\""), std::string::npos);
  text.replace(text.find("\"alice\""), 7, "\"mallo\"");
  write_text(siem_ / "altered.log", text);
  const auto [code, out, err] = verify_against(broker, siem_ / "altered.log");
  EXPECT_EQ(code, 1) << out << err;
  EXPECT_NE(err.find("altered in the copy"), std::string::npos) << err;
}

TEST_F(AuditStreamSyslogTest, AServerCertificateThatDoesNotVerifyGetsNothing) {
  make_siem_certificate(siem_.path(), "siem");
  make_siem_certificate(siem_.path(), "other");  // the CA the broker is told to trust
  Rsyslog rsyslog(siem_.path(), "siem", free_loopback_port());
  rsyslog.start();
  RunningBroker broker(test_policy(), audit_stream_yaml(siem_.path(), rsyslog.address(), "other"),
                       {"alice"});
  const std::string failures =
      R"(jit_audit_stream_failures_total{sink="syslog",reason="tls_verify"})";
  ASSERT_TRUE(syslog_eventually([&] { return metric_value(broker.metrics(), failures) >= 1; }))
      << broker.metrics();
  const auto metrics = broker.metrics();
  EXPECT_EQ(metric_value(metrics, R"(jit_audit_stream_up{sink="syslog"})"), 0);
  EXPECT_GT(metric_value(metrics, R"(jit_audit_stream_lag_records{sink="syslog"})"), 0);
  EXPECT_EQ(metric_value(metrics, R"(jit_audit_stream_position{sink="syslog"})"), 0);
  const auto log = broker.stderr_text();
  EXPECT_NE(log.find("audit_stream_failed"), std::string::npos) << log;
  EXPECT_NE(log.find("does not verify"), std::string::npos) << log;
  EXPECT_TRUE(received_seqs(rsyslog.received()).empty());
  // The file sink streams regardless.
  EXPECT_TRUE(syslog_eventually([&] { return !received_seqs(siem_ / "audit.jsonl").empty(); }));
}

TEST_F(AuditStreamSyslogTest, AServerCertificateForAnotherNameGetsNothing) {
  make_siem_certificate(siem_.path(), "siem");  // names localhost and 127.0.0.1 only
  Rsyslog rsyslog(siem_.path(), "siem", free_loopback_port());
  rsyslog.start();
  RunningBroker broker(
      test_policy(),
      audit_stream_yaml(siem_.path(), rsyslog.address(), "siem", "siem.corp.example"), {"alice"});
  ASSERT_TRUE(syslog_eventually([&] {
    return metric_value(broker.metrics(),
                        R"(jit_audit_stream_failures_total{sink="syslog",reason="tls_verify"})") >=
           1;
  })) << broker.metrics();
  EXPECT_NE(broker.stderr_text().find("hostname mismatch"), std::string::npos)
      << broker.stderr_text();
  EXPECT_TRUE(received_seqs(rsyslog.received()).empty());
}

}  // namespace
}  // namespace jit::broker
