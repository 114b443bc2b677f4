// `jit login --sso` end to end (docs/sso.md): a real `jit-broker serve` configured with an
// sso provider in broker.yaml and an idp group in policy.yaml, the real `jit` CLI with its
// loopback receiver, and the real OpenID provider (tests/sso/test_idp.js); the test plays the
// browser. Then `jit-broker user list` shows where the new user came from.
#include "broker/client/http_client.hpp"
#include "tests/broker/support/sso_broker_config.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_identity_provider.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

// broker.yaml's sso section for the test provider.
BrokerConfig sso_process_config(const TestIdentityProvider& idp) {
  BrokerConfig config;
  config.extra_yaml = sso_test_yaml(idp);
  return config;
}

TEST(SsoProcessTest, JitLoginSsoCreatesTheUserWithTheProvidersGroups) {
  TestIdentityProvider idp(R"({"gina": {"groups": ["idp-sre-leads"]}})");
  const auto config = sso_process_config(idp);
  BrokerProcess broker(kSsoTestPolicy, config);
  broker.start();
  const std::string jit_config = "JIT_CONFIG_DIR=" + (broker.dir() / "jit-gina").string();
  ChildProcess login(
      {kJitBinary, "--broker", "https://localhost:" + std::to_string(broker.port()), "--ca-file",
       broker.ca_file().string(), "login", "--sso", "corp", "--no-browser"},
      broker.dir(), {jit_config});
  ASSERT_TRUE(login.wait_for_output("Waiting for the browser", std::chrono::seconds(20)))
      << login.out() << login.err();
  const auto out = login.out();
  const auto url_at = out.find("https://");
  ASSERT_NE(url_at, std::string::npos) << out;
  const auto url = out.substr(url_at, out.find('\n', url_at) - url_at);

  // The browser: the provider's login, then its redirect to the CLI's loopback receiver.
  const auto back = idp.sign_in(url, "gina");
  ASSERT_TRUE(back.starts_with("http://127.0.0.1:")) << back;
  ClientRequest callback;
  callback.url = *parse_url(back);
  auto received = fetch({}, std::move(callback));
  ASSERT_TRUE(received) << received.error().message();
  EXPECT_EQ(received->status, 200u) << received->body;
  ASSERT_EQ(login.wait(std::chrono::seconds(20)), 0) << login.out() << login.err();

  auto [who_code, who_out, who_err] =
      ChildProcess::run({kJitBinary, "whoami"}, broker.dir(), {jit_config});
  EXPECT_EQ(who_code, 0) << who_err;
  EXPECT_NE(who_out.find("gina"), std::string::npos) << who_out;
  auto [roles_code, roles_out, roles_err] =
      ChildProcess::run({kJitBinary, "roles"}, broker.dir(), {jit_config});
  EXPECT_EQ(roles_code, 0) << roles_err;
  EXPECT_NE(roles_out.find("prod-db-read"), std::string::npos) << roles_out;

  auto [list_code, list_out, list_err] = broker.admin({"user", "list"});
  EXPECT_EQ(list_code, 0) << list_err;
  EXPECT_NE(list_out.find("gina\tsso:corp\tactive\tsre-leads\n"), std::string::npos) << list_out;
  EXPECT_NE(list_out.find("alice\tpolicy\t-\tdevelopers\n"), std::string::npos) << list_out;
}

// RFC 8628 for a machine without a browser: jit prints the provider's address and a user code,
// the person types the code at the provider's device page on another machine (here the test,
// playing that browser: user code form, confirmation, login), and jit's polling gets the session.
TEST(SsoProcessTest, JitLoginSsoDeviceSignsInAtTheProvidersDevicePages) {
  TestIdentityProvider idp(R"({"gina": {"groups": ["idp-sre-leads"]}})");
  BrokerProcess broker(kSsoTestPolicy, sso_process_config(idp));
  broker.start();
  const std::string jit_config = "JIT_CONFIG_DIR=" + (broker.dir() / "jit-gina").string();
  ChildProcess login({kJitBinary, "--broker", "https://localhost:" + std::to_string(broker.port()),
                      "--ca-file", broker.ca_file().string(), "login", "--sso", "corp", "--device"},
                     broker.dir(), {jit_config});
  ASSERT_TRUE(login.wait_for_output("Waiting for the sign-in", std::chrono::seconds(20)))
      << login.out() << login.err();
  // "On any device, open URI and enter the code CODE"
  const auto out = login.out();
  const std::string open_marker = "open ", code_marker = " and enter the code ";
  const auto uri_at = out.find(open_marker);
  const auto code_at = out.find(code_marker);
  ASSERT_TRUE(uri_at != std::string::npos && code_at != std::string::npos) << out;
  const auto uri = out.substr(uri_at + open_marker.size(), code_at - uri_at - open_marker.size());
  const auto user_code = out.substr(code_at + code_marker.size(),
                                    out.find('\n', code_at) - code_at - code_marker.size());
  EXPECT_TRUE(uri.starts_with(idp.issuer() + "/")) << uri;

  const auto page = idp.sign_in_device(uri, user_code, "gina");
  EXPECT_NE(page.find("Sign-in Success"), std::string::npos) << page;
  ASSERT_EQ(login.wait(std::chrono::seconds(20)), 0) << login.out() << login.err();
  EXPECT_NE(login.out().find("logged in as gina via corp"), std::string::npos) << login.out();
  auto [who_code, who_out, who_err] =
      ChildProcess::run({kJitBinary, "whoami"}, broker.dir(), {jit_config});
  EXPECT_EQ(who_code, 0) << who_err;
  EXPECT_NE(who_out.find("gina"), std::string::npos) << who_out;
  auto [list_code, list_out, list_err] = broker.admin({"user", "list"});
  EXPECT_NE(list_out.find("gina\tsso:corp\tactive\tsre-leads\n"), std::string::npos) << list_out;
}

}  // namespace
}  // namespace jit::broker
