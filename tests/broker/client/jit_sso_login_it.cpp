// `jit login --sso` against canned broker answers (the contract in docs/api.md): the loopback
// flow with the test playing the browser, the choice of provider, and the device grant's polling.
// The run against a real identity provider is in the SSO end-to-end tests.
#include "broker/client/jit_sso_commands.hpp"
#include "support/jit_cli_fixture.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <future>
#include <regex>
#include <thread>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

using Canned = CannedBroker;
using status = http::status;

const boost::json::object kSsoLoginAnswer{
    {"token", "sso-token"}, {"user", "carol"}, {"expires_at", 4102444800}, {"csrf_token", "c"}};

class JitSsoLoginTest : public JitCliTest {
 protected:
  // Waits until the CLI has called begin, then sends the browser's redirect to its listener.
  std::string play_browser(const std::string& query) {
    std::string redirect_uri;
    for (int i = 0; i < 500 && redirect_uri.empty(); ++i) {
      for (const auto& call : broker_.calls()) {
        if (call.target.ends_with("/cli/begin")) redirect_uri = body_text(call, "redirect_uri");
      }
      if (redirect_uri.empty()) std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    std::smatch match;
    const std::regex shape(R"(http://127\.0\.0\.1:(\d+)/callback)");
    if (!std::regex_match(redirect_uri, match, shape)) return "bad redirect_uri " + redirect_uri;
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect(
        {asio::ip::address_v4::loopback(), static_cast<std::uint16_t>(std::stoi(match[1].str()))},
        ec);
    const std::string request = "GET /callback?" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    asio::write(socket, asio::buffer(request), ec);
    std::string answer;
    asio::read(socket, asio::dynamic_buffer(answer), ec);
    return answer;
  }

  std::future<CommandRun> start_login(SsoLoginOptions options) {
    options.no_browser = true;
    return std::async(std::launch::async, [this, options] {
      return run(
          [&](auto&, auto& out, auto& err) { return jit_sso_login(global_, options, out, err); });
    });
  }
};

TEST_F(JitSsoLoginTest, LoopbackLoginSendsCodeAndVerifierAndStoresTheSession) {
  broker_.script(
      "GET /v1/auth/sso",
      {Canned::json(status::ok, {{"providers", {{{"name", "corp"}, {"display_name", "Corp"}}}}})});
  broker_.script("POST /v1/auth/sso/{name}/cli/begin",
                 {Canned::json(status::ok, {{"authorization_url", "https://idp.test/auth?x=1"},
                                            {"state", "st-1"}})});
  broker_.script("POST /v1/auth/sso/{name}/cli/finish",
                 {Canned::json(status::ok, kSsoLoginAnswer)});
  auto login = start_login({});
  const std::string page = play_browser("code=c%2F1&state=st-1");
  const CommandRun result = login.get();
  EXPECT_TRUE(page.starts_with("HTTP/1.1 200")) << page;
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_NE(result.out.find("https://idp.test/auth?x=1"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("logged in as carol via corp"), std::string::npos) << result.out;

  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].target, "/v1/auth/sso/corp/cli/begin");
  EXPECT_EQ(calls[1].authorization, "");  // the old session is not sent
  EXPECT_EQ(calls[2].target, "/v1/auth/sso/corp/cli/finish");
  EXPECT_EQ(body_text(calls[2], "state"), "st-1");
  EXPECT_EQ(body_text(calls[2], "code"), "c/1");
  EXPECT_EQ(pkce_s256_challenge(body_text(calls[2], "code_verifier")),
            body_text(calls[1], "code_challenge"));
  const CliProfile stored = load_cli_profile(cli_config_dir());
  EXPECT_EQ(stored.user, "carol");
  EXPECT_EQ(stored.token, "sso-token");
  EXPECT_EQ(stored.expires_at, 4102444800);
}

TEST_F(JitSsoLoginTest, WrongStateFromTheBrowserSendsNothingToTheBroker) {
  broker_.script("POST /v1/auth/sso/{name}/cli/begin",
                 {Canned::json(status::ok, {{"authorization_url", "https://idp.test/auth"},
                                            {"state", "st-1"}})});
  SsoLoginOptions options;
  options.provider = "corp";
  auto login = start_login(options);
  const std::string page = play_browser("code=c1&state=st-forged");
  const CommandRun result = login.get();
  EXPECT_TRUE(page.starts_with("HTTP/1.1 400")) << page;
  EXPECT_EQ(result.code, kJitError);
  EXPECT_NE(result.err.find("state"), std::string::npos) << result.err;
  ASSERT_EQ(broker_.calls().size(), 1u);  // begin only: no finish, no provider list
  EXPECT_EQ(load_cli_profile(cli_config_dir()).token, "test-token");
}

TEST_F(JitSsoLoginTest, WithoutAProviderNameTheOnlyOneIsUsedElseTheNamesAreListed) {
  broker_.script(
      "GET /v1/auth/sso",
      {Canned::json(status::ok, {{"providers", {{{"name", "corp"}}, {{"name", "lab"}}}}}),
       Canned::json(status::ok, {{"providers", boost::json::array{}}}),
       Canned::json(status::ok, {{"providers", {{{"name", "../x"}}}}})});
  const auto several =
      run([&](auto&, auto& out, auto& err) { return jit_sso_login(global_, {}, out, err); });
  EXPECT_EQ(several.code, kJitError);
  EXPECT_NE(several.err.find("(corp, lab)"), std::string::npos) << several.err;
  const auto none =
      run([&](auto&, auto& out, auto& err) { return jit_sso_login(global_, {}, out, err); });
  EXPECT_EQ(none.code, kJitError);
  EXPECT_NE(none.err.find("no single sign-on provider"), std::string::npos) << none.err;
  const auto hostile =
      run([&](auto&, auto& out, auto& err) { return jit_sso_login(global_, {}, out, err); });
  EXPECT_EQ(hostile.code, kJitError);
  SsoLoginOptions bad_name;
  bad_name.provider = "corp/../../v1";
  const auto refused =
      run([&](auto&, auto& out, auto& err) { return jit_sso_login(global_, bad_name, out, err); });
  EXPECT_EQ(refused.code, kJitError);
  EXPECT_EQ(broker_.calls().size(), 3u);  // the three lists; nothing else reached the broker
}

TEST_F(JitSsoLoginTest, DeviceLoginPollsUntilSignedInAndStopsOnDenial) {
  const boost::json::object begun{{"device_handle", "dh-1"},
                                  {"user_code", "WDJB-MJHT"},
                                  {"verification_uri", "https://idp.test/device"},
                                  {"verification_uri_complete", "https://idp.test/device?c=W"},
                                  {"interval", 1},
                                  {"expires_in", 30}};
  broker_.script("POST /v1/auth/sso/{name}/device/begin", {Canned::json(status::ok, begun)});
  broker_.script(
      "POST /v1/auth/sso/{name}/device/poll",
      {Canned::json(status::accepted, {{"status", "authorization_pending"}, {"interval", 1}}),
       Canned::json(status::ok, kSsoLoginAnswer),
       Canned::error(status::bad_request, "access_denied", "access_denied")});
  SsoLoginOptions options;
  options.provider = "corp";
  options.device = true;
  const auto signed_in =
      run([&](auto&, auto& out, auto& err) { return jit_sso_login(global_, options, out, err); });
  EXPECT_EQ(signed_in.code, 0) << signed_in.err;
  EXPECT_NE(signed_in.out.find("https://idp.test/device"), std::string::npos);
  EXPECT_NE(signed_in.out.find("WDJB-MJHT"), std::string::npos);
  EXPECT_EQ(load_cli_profile(cli_config_dir()).user, "carol");
  auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].target, "/v1/auth/sso/corp/device/poll");
  EXPECT_EQ(body_text(calls[2], "device_handle"), "dh-1");

  const auto denied =
      run([&](auto&, auto& out, auto& err) { return jit_sso_login(global_, options, out, err); });
  EXPECT_NE(denied.code, 0);
  EXPECT_NE(denied.err.find("access_denied"), std::string::npos) << denied.err;
}

}  // namespace
}  // namespace jit::broker
