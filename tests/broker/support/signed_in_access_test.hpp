// A GoogleTest fixture over the access workflow's API (AccessFixture) with the six demo users
// signed in, a standard request body and a helper that makes an active grant. The access API and
// policy-limit tests share it.
#pragma once

#include "ca/ssh_public_key.hpp"
#include "tests/support/access_fixture.hpp"
#include "tests/support/x509_test_support.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace jit::testing {

// A fresh ed25519 public key in authorized_keys form, as a user would send it for an SSH cert.
inline std::string new_user_key_line() {
  auto key = generate(ca::KeyAlgorithm::ed25519);
  return ca::SshPublicKey::from_evp(key.get())->line();
}

class SignedInAccessTest : public ::testing::Test {
 protected:
  using Headers = std::map<std::string, std::string>;

  void SetUp() override {
    for (const char* user : {"alice", "bob", "carol", "dave", "erin", "frank"}) {
      headers_[user] = f_.sign_in(user);
    }
  }

  boost::json::object ask(std::string duration = "30m") {
    return {{"role", "prod-db-read"},
            {"reason", "migrate orders"},
            {"ticket", "OPS-1"},
            {"duration", std::move(duration)}};
  }

  // alice's request, approved by carol and dave.
  std::string active_grant() {
    auto created = f_.post("/v1/requests", ask(), headers_["alice"]);
    EXPECT_EQ(created.status, 201u);
    const auto id = str(created.body, "id");
    for (const char* approver : {"carol", "dave"}) {
      auto approved = f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa(approver)}},
                              headers_[approver]);
      EXPECT_EQ(approved.status, 200u) << approved.raw.body();
    }
    auto request = f_.get("/v1/requests/" + id, headers_["alice"]);
    return str(request.body.at("grant"), "id");
  }

  AccessFixture f_;
  std::map<std::string, Headers> headers_;
};

}  // namespace jit::testing
