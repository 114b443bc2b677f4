// OCSP over HTTP (RFC 6960) against a running broker, as Debian 12's `openssl ocsp` asks it: the
// URL in the client certificate's Authority Information Access, good, revoked within a second of
// the revoke, unknown for a serial the broker never issued, the GET form of appendix A, and the
// refusals of a body that is too large or not an OCSP request.
#include "support/revocation_timing.hpp"

#include "tests/support/broker_process.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace jit::broker {
namespace {

using jit::testing::ChildProcess;
using jit::testing::RunningBroker;
using testing::kOpensslBinary;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kOcspUrl = "https://jit.example.test/v1/ca/x509/ocsp";

// Base64 (RFC 4648, padded) and then percent-encoded, as RFC 6960 appendix A.1 asks.
std::string url_encoded_base64(const std::string& der) {
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(der.data()),
                                static_cast<int>(der.size()));
  b64.resize(static_cast<std::size_t>(n));
  std::string out;
  for (const char c : b64) {
    if (c == '+') {
      out += "%2B";
    } else if (c == '/') {
      out += "%2F";
    } else if (c == '=') {
      out += "%3D";
    } else {
      out += c;
    }
  }
  return out;
}

class OcspHttpTest : public ::testing::Test {
 protected:
  OcspHttpTest()
      : broker_(testing::kTimingPolicy, std::string("  ocsp_url: \"") + kOcspUrl + "\"\n",
                {"alice"}),
        api_(broker_) {
    const auto chain = api_.get_body("/v1/ca/x509");
    std::ofstream(path("chain.pem")) << chain;
    const std::string end = "-----END CERTIFICATE-----\n";
    std::ofstream(path("issuing.pem")) << chain.substr(0, chain.find(end) + end.size());
  }

  std::string path(const std::string& name) const { return (broker_.dir() / name).string(); }

  // `openssl ocsp` asking the running broker about `what` (-cert FILE or -serial N); its output.
  std::string ask(const std::vector<std::string>& what) {
    std::vector<std::string> argv = {
        kOpensslBinary, "ocsp",
        "-url",         "https://127.0.0.1:" + std::to_string(broker_.port()) + "/v1/ca/x509/ocsp",
        "-issuer",      path("issuing.pem"),
        "-CAfile",      path("chain.pem")};
    argv.insert(argv.end(), what.begin(), what.end());
    auto [code, out, err] = ChildProcess::run(argv, broker_.dir());
    EXPECT_EQ(code, 0) << out << err;
    return out + err;
  }

  RunningBroker broker_;
  testing::TimingApi api_;
};

TEST_F(OcspHttpTest, OpensslOcspSeesGoodThenRevokedWithinASecondAndUnknown) {
  const auto grant = api_.active_grant("alice");
  api_.mint_x509(grant, "alice", path("client.pem"));

  auto [uri_code, uri_out, uri_err] = ChildProcess::run(
      {kOpensslBinary, "x509", "-in", path("client.pem"), "-noout", "-ocsp_uri"}, broker_.dir());
  ASSERT_EQ(uri_code, 0) << uri_err;
  EXPECT_EQ(uri_out, std::string(kOcspUrl) + "\n");

  const auto good = ask({"-cert", path("client.pem")});
  EXPECT_NE(good.find("Response verify OK"), std::string::npos) << good;
  EXPECT_NE(good.find("client.pem: good"), std::string::npos) << good;

  const auto unknown = ask({"-serial", "0x0123456789abcdef"});
  EXPECT_NE(unknown.find("Response verify OK"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("0x0123456789abcdef: unknown"), std::string::npos) << unknown;

  const auto revoked_answer = api_.call(http::verb::post, "/v1/grants/" + grant + "/revoke",
                                        "alice", boost::json::object{{"reason", "done"}});
  const auto revoked_at = Clock::now();
  ASSERT_EQ(revoked_answer.result(), http::status::ok) << revoked_answer.body();
  const auto revoked = ask({"-cert", path("client.pem")});
  EXPECT_LE(Clock::now() - revoked_at, 1s);
  EXPECT_NE(revoked.find("Response verify OK"), std::string::npos) << revoked;
  EXPECT_NE(revoked.find("client.pem: revoked"), std::string::npos) << revoked;
}

TEST_F(OcspHttpTest, GetFormAnswersLikePostAndBadRequestsAreRefused) {
  const auto grant = api_.active_grant("alice");
  api_.mint_x509(grant, "alice", path("client.pem"));
  auto [req_code, req_out, req_err] =
      ChildProcess::run({kOpensslBinary, "ocsp", "-issuer", path("issuing.pem"), "-cert",
                         path("client.pem"), "-no_nonce", "-reqout", path("request.der")},
                        broker_.dir());
  ASSERT_EQ(req_code, 0) << req_err;
  const auto request = testing::read_text(path("request.der"));

  const auto answer = broker_.client()->get("/v1/ca/x509/ocsp/" + url_encoded_base64(request));
  ASSERT_EQ(answer.result(), http::status::ok) << answer.body();
  EXPECT_EQ(std::string(answer[http::field::content_type]), "application/ocsp-response");
  std::ofstream(path("response.der"), std::ios::binary) << answer.body();
  auto [code, out, err] = ChildProcess::run(
      {kOpensslBinary, "ocsp", "-respin", path("response.der"), "-issuer", path("issuing.pem"),
       "-cert", path("client.pem"), "-CAfile", path("chain.pem"), "-no_nonce"},
      broker_.dir());
  EXPECT_EQ(code, 0) << out << err;
  EXPECT_NE((out + err).find("Response verify OK"), std::string::npos) << out << err;
  EXPECT_NE(out.find("client.pem: good"), std::string::npos) << out << err;

  // POST with the right type answers the same way; a wrong type or an oversized body is refused.
  HttpRequest post(http::verb::post, "/v1/ca/x509/ocsp", 11);
  post.set(http::field::content_type, "application/ocsp-request");
  post.body() = request;
  const auto posted = broker_.client()->request(post);
  EXPECT_EQ(posted.result(), http::status::ok);
  EXPECT_EQ(std::string(posted[http::field::content_type]), "application/ocsp-response");

  post.set(http::field::content_type, "application/json");
  const auto wrong_type = broker_.client()->request(post);
  EXPECT_EQ(wrong_type.result(), http::status::unsupported_media_type) << wrong_type.body();

  post.set(http::field::content_type, "application/ocsp-request");
  post.body() = std::string(20 * 1024, 'x');
  const auto too_large = broker_.client()->request(post);
  EXPECT_EQ(too_large.result(), http::status::payload_too_large) << too_large.body();

  // Not base64 at all: a malformedRequest OCSP answer (status 1), never an error page.
  const auto garbage = broker_.client()->get("/v1/ca/x509/ocsp/not-base64!");
  EXPECT_EQ(garbage.result(), http::status::ok);
  EXPECT_EQ(garbage.body(), std::string("\x30\x03\x0a\x01\x01", 5));
}

}  // namespace
}  // namespace jit::broker
