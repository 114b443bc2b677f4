// `jit passkeys list` and `jit passkeys remove ID` against canned broker answers: what each sends
// and prints, the TOTP prompt of a removal, and ids that never reach a URL path.
#include "broker/client/jit_passkey_commands.hpp"
#include "support/jit_cli_fixture.hpp"

#include <gtest/gtest.h>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

using Canned = CannedBroker;
using status = http::status;

const std::string kCredentialId = "q83vEjRWeJA";

TEST_F(JitCliTest, PasskeysListPrintsEachPasskeyWithItsDates) {
  broker_.script("GET /v1/webauthn/credentials",
                 {Canned::json(status::ok, {{"credentials",
                                             {{{"id", kCredentialId},
                                               {"created_at", 1700000000},
                                               {"last_used_at", nullptr},
                                               {"algorithm", -7},
                                               {"possibly_cloned", false}},
                                              {{"id", "AAEC"},
                                               {"created_at", 1700000100},
                                               {"last_used_at", 1700000200},
                                               {"algorithm", -8},
                                               {"possibly_cloned", true}}}}})});
  const auto result =
      run([&](auto&, auto& out, auto& err) { return jit_passkeys_list(global_, out, err); });
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  const auto first_end = result.out.find('\n');
  ASSERT_NE(first_end, std::string::npos) << result.out;
  const auto first = result.out.substr(0, first_end);
  EXPECT_EQ(first, kCredentialId + "  created 2023-11-14 22:13:20 UTC  last used never");
  EXPECT_NE(result.out.find("AAEC  created 2023-11-14 22:15:00 UTC  last used "), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("POSSIBLY CLONED"), std::string::npos) << result.out;
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].authorization, "Bearer test-token");
}

TEST_F(JitCliTest, PasskeysListSaysWhenThereAreNone) {
  broker_.script("GET /v1/webauthn/credentials",
                 {Canned::json(status::ok, {{"credentials", boost::json::array{}}})});
  const auto result =
      run([&](auto&, auto& out, auto& err) { return jit_passkeys_list(global_, out, err); });
  EXPECT_EQ(result.code, 0);
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("no passkeys"), std::string::npos) << result.err;
}

TEST_F(JitCliTest, PasskeysRemovePromptsForACodeAndSendsADelete) {
  broker_.script("DELETE /v1/webauthn/credentials/{id}",
                 {Canned::json(status::ok, {{"removed", kCredentialId}})});
  PasskeyRemoveOptions options{kCredentialId, std::nullopt};
  const auto result =
      run([&](auto& in, auto& out,
              auto& err) { return jit_passkeys_remove(global_, options, in, out, err); },
          "333333\n");
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.err, "TOTP code: ");
  EXPECT_EQ(result.out, "removed: " + kCredentialId + "\n");
  const auto calls = broker_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, "DELETE");
  EXPECT_EQ(calls[0].target, "/v1/webauthn/credentials/" + kCredentialId);
  EXPECT_EQ(totp_of(calls[0]), "333333");
}

TEST_F(JitCliTest, PasskeysRemoveRefusesIdsThatAreNotBase64urlAndShowsRefusals) {
  for (const char* bad : {"", "../grants", "a/b", "a b", "a%2Fb"}) {
    PasskeyRemoveOptions options{bad, "333333"};
    const auto result = run([&](auto& in, auto& out, auto& err) {
      return jit_passkeys_remove(global_, options, in, out, err);
    });
    EXPECT_EQ(result.code, 1) << bad;
    EXPECT_NE(result.err.find("base64url"), std::string::npos) << result.err;
  }
  EXPECT_TRUE(broker_.calls().empty());
  broker_.script("DELETE /v1/webauthn/credentials/{id}",
                 {Canned::error(status::not_found, "not_found", "not found")});
  PasskeyRemoveOptions options{kCredentialId, "333333"};
  const auto result = run([&](auto& in, auto& out, auto& err) {
    return jit_passkeys_remove(global_, options, in, out, err);
  });
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "jit: not found (not_found)\n");
}

}  // namespace
}  // namespace jit::broker
