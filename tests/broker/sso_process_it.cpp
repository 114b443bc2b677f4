// `jit login --sso` end to end (docs/sso.md): a real `jit-broker serve` configured with an
// sso provider in broker.yaml and an idp group in policy.yaml, the real `jit` CLI with its
// loopback receiver, and the real OpenID provider (tests/sso/test_idp.js); the test plays the
// browser. Then `jit-broker user list` shows where the new user came from.
#include "broker/client/http_client.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_identity_provider.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

constexpr const char* kSsoProcessPolicy =
    "groups:\n"
    "  developers: [alice]\n"
    "  sre-leads: {source: idp}\n"
    "roles:\n"
    "  prod-db-read:\n"
    "    requestable_by: [developers]\n"
    "    approvers: [sre-leads]\n"
    "    approvals_required: 1\n"
    "    max_duration: 1h\n"
    "    ssh: { principals: [dbread] }\n";

TEST(SsoProcessTest, JitLoginSsoCreatesTheUserWithTheProvidersGroups) {
  TestIdentityProvider idp(R"({"gina": {"groups": ["idp-sre-leads"]}})");
  BrokerConfig config;
  config.extra_yaml =
      "sso:\n  providers:\n    - name: corp\n      display_name: Corp IdP\n"
      "      issuer: " +
      idp.issuer() + "\n      client_id: " + TestIdentityProvider::kClientId +
      "\n      client_secret_file: " + idp.client_secret_file().string() +
      "\n      scopes: [openid, profile, email, groups]\n"
      "      group_map: {idp-sre-leads: sre-leads}\n"
      "      mfa_amr: [otp]\n"
      "      redirect_uri: https://127.0.0.1:8443/v1/auth/sso/corp/callback\n"
      "      ca_file: " +
      idp.ca_file().string() + "\n";
  BrokerProcess broker(kSsoProcessPolicy, config);
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

}  // namespace
}  // namespace jit::broker
