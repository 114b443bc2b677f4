// The server against independent clients: curl, and openssl s_client for the TLS settings.
#include "tests/support/http_test_server.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>

namespace jit::broker {
namespace {

using testing::TestHttpsServer;

// Runs a shell command (stdin from /dev/null) and returns what it printed on stdout and stderr.
std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " </dev/null 2>&1").c_str(), "r");
  if (pipe == nullptr) return output;
  std::array<char, 4096> chunk{};
  while (std::fgets(chunk.data(), static_cast<int>(chunk.size()), pipe) != nullptr) {
    output += chunk.data();
  }
  ::pclose(pipe);
  return output;
}

std::string s_client(const TestHttpsServer& server, const std::string& options) {
  return run(
      "timeout 10 openssl s_client -connect 127.0.0.1:" + std::to_string(server.endpoint().port()) +
      " -servername localhost -CAfile " + server.ca_file().string() + " " + options);
}

TEST(HttpInterop, CurlGetsHealthzOverHttp11WithVerifiedTls) {
  TestHttpsServer server;
  const std::string port = std::to_string(server.endpoint().port());
  const std::string out =
      run("curl -sS --max-time 10 --cacert " + server.ca_file().string() +
          " --resolve localhost:" + port +
          ":127.0.0.1 -w ' %{http_code} %{http_version}' https://localhost:" + port + "/healthz");
  EXPECT_EQ(out, R"({"status":"ok"} 200 1.1)");
  // The certificate also names 127.0.0.1.
  EXPECT_EQ(run("curl -sS --max-time 10 --cacert " + server.ca_file().string() +
                " -o /dev/null -w '%{http_code}' https://127.0.0.1:" + port + "/healthz"),
            "200");
}

TEST(HttpInterop, Tls13IsPreferredAndAlpnIsHttp11) {
  TestHttpsServer server;
  const std::string out = s_client(server, "-alpn h2,http/1.1");
  EXPECT_NE(out.find("New, TLSv1.3, Cipher is TLS_"), std::string::npos) << out;
  EXPECT_NE(out.find("ALPN protocol: http/1.1"), std::string::npos) << out;
  EXPECT_NE(out.find("Verify return code: 0 (ok)"), std::string::npos) << out;
}

TEST(HttpInterop, Tls12UsesForwardSecretAeadCiphersOnly) {
  TestHttpsServer server;
  const std::string out = s_client(server, "-tls1_2");
  EXPECT_NE(out.find("New, TLSv1.2, Cipher is ECDHE-ECDSA-AES"), std::string::npos) << out;
  const std::string cbc = s_client(server, "-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256");
  EXPECT_EQ(cbc.find("New, TLSv1.2"), std::string::npos) << cbc;
  EXPECT_NE(cbc.find("alert handshake failure"), std::string::npos) << cbc;
  const std::string plain_rsa = s_client(server, "-tls1_2 -cipher AES128-GCM-SHA256");
  EXPECT_EQ(plain_rsa.find("New, TLSv1.2"), std::string::npos) << plain_rsa;
}

TEST(HttpInterop, Tls11AndBelowAreRefused) {
  TestHttpsServer server;
  const std::string out = s_client(server, "-tls1_1 -cipher DEFAULT@SECLEVEL=0");
  EXPECT_EQ(out.find("New, TLSv1.1"), std::string::npos) << out;
  EXPECT_NE(out.find("New, (NONE), Cipher is (NONE)"), std::string::npos) << out;
  EXPECT_NE(out.find("alert protocol version"), std::string::npos) << out;  // sent by the server
  EXPECT_TRUE(server.healthy());
}

}  // namespace
}  // namespace jit::broker
