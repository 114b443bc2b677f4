// Checks the shipped `jit-broker` makes of what an operator gives it (issue 14 E20, E24, E25):
// passwords set by `user enroll|reset`, CA key file permissions at start-up, and the bearer token
// that may guard /metrics. Each refusal is one line and exit code 2.
#include "broker/client/http_client.hpp"
#include "tests/support/broker_process.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

namespace jit::broker {
namespace {

using jit::testing::broker_binary;
using jit::testing::BrokerConfig;
using jit::testing::BrokerProcess;
using jit::testing::ChildProcess;
using jit::testing::listening_port;
using jit::testing::test_policy;
using jit::testing::TestPolicyOptions;
using testing::kBrokerBinary;
using namespace std::chrono_literals;

class BrokerStartupChecksTest : public ::testing::Test {
 protected:
  // The test policy without the role's extras, and broker.yaml on 127.0.0.1:0.
  BrokerStartupChecksTest() : broker_(minimal_policy()) {}

  static std::string minimal_policy() {
    TestPolicyOptions options;
    options.full_profile = false;
    return test_policy(options);
  }

  void write_config(const std::string& extra) {
    broker_.write_config(BrokerConfig{"127.0.0.1:0", "data", extra});
  }
  std::string config() const { return broker_.config_file(); }

  std::tuple<int, std::string, std::string> admin(std::vector<std::string> args,
                                                  const std::string& input = "") {
    return broker_.admin(std::move(args), input);
  }

  std::unique_ptr<ChildProcess> serve(int& port, std::vector<std::string> env = {}) {
    auto child = std::make_unique<ChildProcess>(
        std::vector<std::string>{kBrokerBinary, "--config", config(), "serve"}, dir_,
        std::move(env));
    EXPECT_TRUE(child->wait_for_output("listening on", 20s)) << child->err();
    port = listening_port(child->out());
    return child;
  }

  Result<ClientResponse> get(int port, const std::string& path,
                             std::vector<std::pair<std::string, std::string>> headers = {}) {
    ClientRequest request;
    request.url = *parse_url("https://localhost:" + std::to_string(port) + path);
    request.headers = std::move(headers);
    return fetch({dir_ / "data" / "tls" / "server.crt"}, request);
  }

  // `serve` that must stop at start-up: {exit code (-1 still running after 10 s), stderr}.
  std::pair<int, std::string> serve_refused(std::vector<std::string> env = {}) {
    ChildProcess child({kBrokerBinary, "--config", config(), "serve"}, dir_, std::move(env));
    const auto code = child.wait(10s);
    return {code.value_or(-1), child.err()};
  }

  static std::size_t lines(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  }

  BrokerProcess broker_;
  const std::filesystem::path& dir_ = broker_.dir();  // the broker's folder: files, data/, cwd
};

TEST_F(BrokerStartupChecksTest, EnrollAndResetRefuseWeakPasswordsWithOneLine) {
  for (const std::string& weak : {std::string("x"), std::string("elevenchars"),
                                  std::string("Alice-Alice-Alice"), std::string("alice")}) {
    auto [code, out, err] = admin({"user", "enroll", "alice"}, weak + "\n");
    EXPECT_EQ(code, 2) << weak;
    EXPECT_NE(err.find("password must"), std::string::npos) << err;
    EXPECT_EQ(lines(err), 1u) << err;
    EXPECT_EQ(out.find("otpauth://"), std::string::npos) << out;
  }
  auto [enrolled, out, err] = admin({"user", "enroll", "alice"}, "correct horse battery\n");
  ASSERT_EQ(enrolled, 0) << err;
  auto [reset, reset_out, reset_err] = admin({"user", "reset", "alice"}, "short\n");
  EXPECT_EQ(reset, 2);
  EXPECT_NE(reset_err.find("at least 12 characters"), std::string::npos) << reset_err;
}

TEST_F(BrokerStartupChecksTest, ACaKeyReadableByOthersStopsTheStartWithOneLine) {
  int port = 0;
  {
    auto first = serve(port);  // makes the dev CA keys
    ASSERT_NE(port, 0);
  }
  for (const char* name : {"ssh_ca.key", "x509_issuing.key"}) {
    const auto key = dir_ / "data" / "ca" / name;
    ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
    auto [code, err] = serve_refused();
    EXPECT_EQ(code, 2) << name;
    EXPECT_NE(err.find(key.string()), std::string::npos) << err;
    EXPECT_NE(err.find("readable by others"), std::string::npos) << err;
    EXPECT_EQ(lines(err), 1u) << err;
    ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  }
}

TEST_F(BrokerStartupChecksTest, MetricsMayRequireABearerToken) {
  const std::string token = "metrics-token-0123456789abcdef";
  std::ofstream(dir_ / "metrics.token") << token << "\n";
  ASSERT_EQ(::chmod((dir_ / "metrics.token").c_str(), 0600), 0);
  write_config("metrics:\n  bearer_token_file: metrics.token\n");
  int port = 0;
  auto broker = serve(port);
  ASSERT_NE(port, 0) << broker->err();

  for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {},
           {{"Authorization", "Bearer wrong"}},
           {{"Authorization", "Bearer " + token + "x"}},
           {{"Authorization", token}}}) {
    auto refused = get(port, "/metrics", headers);
    ASSERT_TRUE(refused) << refused.error().message();
    EXPECT_EQ(refused->status, 401u);
    EXPECT_TRUE(refused->content_type.starts_with("application/json")) << refused->content_type;
    EXPECT_NE(refused->body.find("\"code\":\"unauthenticated\""), std::string::npos)
        << refused->body;
    EXPECT_EQ(refused->body.find("jit_http"), std::string::npos);
  }
  auto allowed = get(port, "/metrics", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(allowed) << allowed.error().message();
  EXPECT_EQ(allowed->status, 200u);
  EXPECT_NE(allowed->body.find("jit_http_requests_total"), std::string::npos) << allowed->body;
  // Liveness stays open for load balancers.
  auto health = get(port, "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200u);
}

TEST_F(BrokerStartupChecksTest, AMetricsTokenFromTheEnvironmentMustBeSetAndLongEnough) {
  write_config("metrics:\n  bearer_token_env: JIT_TEST_METRICS_TOKEN\n");
  auto [unset, err] = serve_refused();
  EXPECT_EQ(unset, 2);
  EXPECT_NE(err.find("JIT_TEST_METRICS_TOKEN"), std::string::npos) << err;
  EXPECT_EQ(lines(err), 1u) << err;

  int port = 0;
  auto broker = serve(port, {"JIT_TEST_METRICS_TOKEN=env-token-0123456789abcdef"});
  ASSERT_NE(port, 0) << broker->err();
  auto allowed = get(port, "/metrics", {{"Authorization", "Bearer env-token-0123456789abcdef"}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200u);
  auto refused = get(port, "/metrics");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401u);
}

}  // namespace
}  // namespace jit::broker
