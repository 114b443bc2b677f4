// /metrics behind a bearer token (issue 14 E25): the route answers 401 JSON without the token, and
// the token itself is read from an environment variable or a private file at start-up.
#include "broker/http/metrics_token.hpp"
#include "broker/http/health_routes.hpp"
#include "broker/http/metrics.hpp"
#include "broker/http/router.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>

namespace jit::broker {
namespace {

constexpr const char* kToken = "0123456789abcdef-metrics";

HttpResponse get_metrics(const Router& router, std::optional<std::string> authorization) {
  RequestContext context;
  context.request = HttpRequest(http::verb::get, "/metrics", 11);
  if (authorization) context.request.set(http::field::authorization, *authorization);
  context.remote_ip = "127.0.0.1";
  HttpResponse out;
  router.dispatch(std::move(context), [&out](HttpResponse response) { out = std::move(response); });
  return out;
}

TEST(MetricsToken, WithoutATokenConfiguredMetricsStayOpen) {
  Router router;
  Metrics metrics;
  add_health_routes(router, metrics);
  EXPECT_EQ(get_metrics(router, std::nullopt).result_int(), 200u);
}

TEST(MetricsToken, OnlyTheRightBearerTokenReadsMetrics) {
  Router router;
  Metrics metrics;
  add_health_routes(router, metrics, std::string(kToken));
  for (const std::optional<std::string>& header :
       {std::optional<std::string>(), std::optional<std::string>("Bearer"),
        std::optional<std::string>("Bearer "), std::optional<std::string>(kToken),
        std::optional<std::string>(std::string("Basic ") + kToken),
        std::optional<std::string>(std::string("Bearer ") + kToken + "0"),
        std::optional<std::string>(std::string("Bearer ") + std::string(kToken).substr(1)),
        std::optional<std::string>("Bearer " + std::string(5000, 'a'))}) {
    const auto answer = get_metrics(router, header);
    EXPECT_EQ(answer.result_int(), 401u) << header.value_or("(none)");
    EXPECT_EQ(boost::json::parse(answer.body()).at("code").as_string(), "unauthenticated");
    EXPECT_EQ(answer[http::field::www_authenticate], "Bearer realm=\"metrics\"");
  }
  for (const std::string scheme : {"Bearer ", "bearer ", "BEARER "}) {
    const auto answer = get_metrics(router, scheme + kToken);
    EXPECT_EQ(answer.result_int(), 200u) << scheme;
    EXPECT_NE(answer.body().find("jit_http_requests_total"), std::string::npos);
  }
}

TEST(MetricsToken, LoadedFromAPrivateFileWithoutItsLineBreak) {
  testing::TempDir dir;
  const auto file = dir.path() / "metrics.token";
  std::ofstream(file) << kToken << "\n";
  ::chmod(file.c_str(), 0600);
  config::MetricsSettings settings;
  settings.bearer_token_file = file;
  EXPECT_EQ(load_metrics_token(settings), std::string(kToken));

  ::chmod(file.c_str(), 0640);
  try {
    (void)load_metrics_token(settings);
    ADD_FAILURE() << "a token file readable by others was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string() + " is readable by others"),
              std::string::npos)
        << e.what();
  }
  ::chmod(file.c_str(), 0600);
  std::ofstream(file, std::ios::trunc) << "short\n";
  EXPECT_THROW((void)load_metrics_token(settings), std::runtime_error);
  std::ofstream(file, std::ios::trunc) << "a token with spaces in it\n";
  EXPECT_THROW((void)load_metrics_token(settings), std::runtime_error);
  settings.bearer_token_file = dir.path() / "missing.token";
  EXPECT_THROW((void)load_metrics_token(settings), std::runtime_error);
  EXPECT_EQ(load_metrics_token({}), std::nullopt);
}

TEST(MetricsToken, LoadedFromTheEnvironment) {
  config::MetricsSettings settings;
  settings.bearer_token_env = "JIT_METRICS_TOKEN_TEST_UNSET";
  ::unsetenv("JIT_METRICS_TOKEN_TEST_UNSET");
  try {
    (void)load_metrics_token(settings);
    ADD_FAILURE() << "an unset variable was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("JIT_METRICS_TOKEN_TEST_UNSET"), std::string::npos);
  }
  settings.bearer_token_env = "JIT_METRICS_TOKEN_TEST_SET";
  ::setenv("JIT_METRICS_TOKEN_TEST_SET", kToken, 1);
  EXPECT_EQ(load_metrics_token(settings), std::string(kToken));
  ::unsetenv("JIT_METRICS_TOKEN_TEST_SET");
}

}  // namespace
}  // namespace jit::broker
