// A real OpenID provider for the SSO tests (tests/README.md): tests/sso/test_idp.js, the npm
// package oidc-provider over HTTPS on 127.0.0.1 with a certificate made here, the broker as its
// one client, and test users whose groups a test may change between logins.
#pragma once

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace jit::testing {

class TestIdentityProvider {
 public:
  static constexpr const char* kClientId = "jit-broker";

  // `users_json`: {"carol": {"groups": ["sre-leads"]}, ...} (see tests/sso/test_idp.js). Throws
  // std::runtime_error when the provider does not start.
  explicit TestIdentityProvider(const std::string& users_json);
  ~TestIdentityProvider();
  TestIdentityProvider(const TestIdentityProvider&) = delete;
  TestIdentityProvider& operator=(const TestIdentityProvider&) = delete;

  const std::string& issuer() const { return issuer_; }  // https://127.0.0.1:PORT
  std::filesystem::path ca_file() const { return dir_ / "idp.crt"; }
  std::filesystem::path client_secret_file() const { return dir_ / "client.secret"; }  // 0600

  // Read by the provider at each login: the next login sees the new groups.
  void set_users(const std::string& users_json);
  // Stops and starts it again on the same port with a new signing key (a key rotation).
  void restart();
  // Stops it (nothing answers on its port) until restart().
  void stop();
  bool running() const { return process_ != nullptr; }
  // POSTs `change_json` to its /test-control (tests/sso/test_idp.js: jwks "down"/"garbage"/
  // "normal", discovery_issuer, users). Lost at restart(). Throws when it is refused.
  void control(const std::string& change_json) const;

  // Plays the user's browser at the provider: opens `authorization_url`, signs in as `login` with
  // these `amr` values, and returns where the provider sends the browser back (the client's
  // redirect URI with code and state). Throws std::runtime_error when a step fails.
  std::string sign_in(const std::string& authorization_url, const std::string& login,
                      const std::string& amr = "pwd,otp") const;
  // Plays a browser at the device flow's pages (RFC 8628): opens `verification_uri`, enters
  // `user_code`, confirms, and signs in as `login`. Returns the provider's last page (its
  // success page). Throws std::runtime_error when a step fails.
  std::string sign_in_device(const std::string& verification_uri, const std::string& user_code,
                             const std::string& login, const std::string& amr = "pwd,otp") const;

 private:
  void start(unsigned short port);

  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  unsigned short port_ = 0;
  std::string issuer_;
};

}  // namespace jit::testing
