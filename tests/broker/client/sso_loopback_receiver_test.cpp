// The loopback receiver of `jit login --sso` (broker/client/sso_loopback_receiver.hpp): a test
// client plays the browser the identity provider redirects; plus the PKCE helpers.
#include "broker/client/sso_loopback_receiver.hpp"
#include "broker/client/jit_sso_commands.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <future>

namespace jit::broker {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Sends `request` to 127.0.0.1:port and returns everything the receiver answers (empty when the
// connection failed or was reset).
std::string loopback_exchange(std::uint16_t port, const std::string& request) {
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({asio::ip::address_v4::loopback(), port}, ec);
  if (ec) return {};
  asio::write(socket, asio::buffer(request), ec);
  std::string answer;
  asio::read(socket, asio::dynamic_buffer(answer), ec);
  return answer;
}

std::string callback_request(const std::string& query) {
  return "GET /callback?" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

// Runs the browser side on another thread while the receiver waits.
struct LoopbackBrowser {
  std::future<std::vector<std::string>> answers;
  LoopbackBrowser(std::uint16_t port, std::vector<std::string> requests)
      : answers(std::async(std::launch::async, [port, requests = std::move(requests)] {
          std::vector<std::string> out;
          for (const std::string& request : requests)
            out.push_back(loopback_exchange(port, request));
          return out;
        })) {}
};

TEST(SsoLoopbackReceiver, TakesTheCodeOfTheCallbackWithItsState) {
  SsoLoopbackReceiver receiver;
  EXPECT_EQ(receiver.redirect_uri(),
            "http://127.0.0.1:" + std::to_string(receiver.port()) + "/callback");
  LoopbackBrowser browser(receiver.port(), {callback_request("code=ab%2Fc%2B&state=st-1&iss=x")});
  const auto callback = receiver.wait_for_callback("st-1", std::chrono::seconds{10});
  EXPECT_EQ(callback.code, "ab/c+") << callback.problem;
  const auto answers = browser.answers.get();
  EXPECT_TRUE(answers[0].starts_with("HTTP/1.1 200")) << answers[0];
  EXPECT_NE(answers[0].find("Content-Type: text/html"), std::string::npos);
  EXPECT_NE(answers[0].find("Signed in"), std::string::npos);
}

TEST(SsoLoopbackReceiver, RefusesAWrongOrMissingState) {
  for (const std::string query : {"code=abc&state=st-2", "code=abc&state=st-", "code=abc",
                                  "code=abc&state=st-1&state=st-2"}) {
    SCOPED_TRACE(query);
    SsoLoopbackReceiver receiver;
    LoopbackBrowser browser(receiver.port(), {callback_request(query)});
    const auto callback = receiver.wait_for_callback("st-1", std::chrono::seconds{10});
    EXPECT_FALSE(callback.code);
    EXPECT_FALSE(callback.problem.empty());
    const auto answers = browser.answers.get();
    EXPECT_TRUE(answers[0].starts_with("HTTP/1.1 400")) << answers[0];
    EXPECT_EQ(answers[0].find("abc"), std::string::npos);  // nothing echoed
  }
}

TEST(SsoLoopbackReceiver, ReportsTheProvidersErrorWithoutACode) {
  SsoLoopbackReceiver receiver;
  LoopbackBrowser browser(receiver.port(), {callback_request("error=access_denied&state=st-1")});
  const auto callback = receiver.wait_for_callback("st-1", std::chrono::seconds{10});
  EXPECT_FALSE(callback.code);
  EXPECT_NE(callback.problem.find("access_denied"), std::string::npos) << callback.problem;
}

TEST(SsoLoopbackReceiver, OversizedAndOtherRequestsAreNotTheCallback) {
  SsoLoopbackReceiver receiver;
  const std::string oversized =
      "GET /callback?code=a&state=st-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "X-Padding: " +
      std::string(20 * 1024, 'a') + "\r\n\r\n";
  LoopbackBrowser browser(receiver.port(),
                          {oversized, "GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                           "POST /callback?code=a&state=st-1 HTTP/1.1\r\nHost: x\r\n"
                           "Content-Length: 0\r\n\r\n",
                           callback_request("code=good&state=st-1")});
  const auto callback = receiver.wait_for_callback("st-1", std::chrono::seconds{10});
  EXPECT_EQ(callback.code, "good") << callback.problem;
  const auto answers = browser.answers.get();
  // The oversized request gets a 400 or, when the receiver closes while it is still being
  // sent, a reset; never the callback's page.
  EXPECT_TRUE(answers[0].empty() || answers[0].starts_with("HTTP/1.1 400")) << answers[0];
  EXPECT_TRUE(answers[1].starts_with("HTTP/1.1 404")) << answers[1];
  EXPECT_TRUE(answers[2].starts_with("HTTP/1.1 404")) << answers[2];
  EXPECT_TRUE(answers[3].starts_with("HTTP/1.1 200")) << answers[3];
}

TEST(SsoLoopbackReceiver, GivesUpAfterTheTimeout) {
  SsoLoopbackReceiver receiver;
  const auto started = std::chrono::steady_clock::now();
  const auto callback = receiver.wait_for_callback("st-1", std::chrono::milliseconds{200});
  EXPECT_FALSE(callback.code);
  EXPECT_EQ(callback.problem, "no answer from the browser within 1 s");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds{3});
}

TEST(SsoLoopbackReceiver, QueryParametersAreDecodedStrictly) {
  bool malformed = false;
  EXPECT_EQ(query_parameter("/callback?a=1&code=x%20y+z", "code", malformed), "x y z");
  EXPECT_FALSE(query_parameter("/callback?a=1", "code", malformed));
  EXPECT_FALSE(malformed);
  EXPECT_FALSE(query_parameter("/callback?code=%4", "code", malformed));
  EXPECT_TRUE(malformed);
  malformed = false;
  EXPECT_FALSE(query_parameter("/callback?code=%zz", "code", malformed));
  EXPECT_TRUE(malformed);
}

TEST(SsoPkce, VerifierAndChallengeFollowRfc7636) {
  // RFC 7636 appendix B.
  EXPECT_EQ(pkce_s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const std::string verifier = new_pkce_verifier();
  EXPECT_EQ(verifier.size(), 43u);  // 32 bytes, unpadded base64url
  EXPECT_NE(verifier, new_pkce_verifier());
  EXPECT_TRUE(is_sso_provider_name("corp-2"));
  for (const char* bad : {"", "Corp", "a/b", "..", "a b", "abcdefghijabcdefghijabcdefghijabc"}) {
    EXPECT_FALSE(is_sso_provider_name(bad)) << bad;
  }
}

}  // namespace
}  // namespace jit::broker
