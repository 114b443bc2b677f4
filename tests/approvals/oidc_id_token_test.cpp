// verify_id_token (approvals/oidc_id_token.hpp): one table row per check of the header comment,
// with tokens built and signed by tests/support/jws_test_signer (OpenSSL directly).
#include "approvals/oidc_id_token.hpp"

#include "tests/support/jws_test_signer.hpp"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

#include <functional>

namespace jit::approvals {
namespace {

using testing::base64url_of;
using testing::JwsTestKey;

constexpr std::int64_t kIdTokenNow = 1'800'000'000;
const std::string kIdTokenIssuer = "https://idp.example.test/realms/corp";

struct IdTokenTestKeys {
  JwsTestKey rsa = JwsTestKey::rsa("rsa-1");
  JwsTestKey ec = JwsTestKey::p256("ec-1");
  JwsTestKey ed = JwsTestKey::ed25519("ed-1");
  JwsTestKey rsa_impostor = JwsTestKey::rsa("rsa-1");  // same kid, another key
  JsonWebKeySet set;
};

const IdTokenTestKeys& id_token_keys() {
  static const IdTokenTestKeys keys = [] {
    IdTokenTestKeys made;
    // The EC key is published without its own `alg`, so only its type stops an RS256 token.
    auto ec_without_alg = made.ec.public_jwk();
    ec_without_alg.erase("alg");
    made.set = parse_json_web_key_set(testing::jwks_text({made.rsa.public_jwk(), ec_without_alg,
                                                          made.ed.public_jwk()}))
                   .value();
    return made;
  }();
  return keys;
}

boost::json::object good_id_claims() {
  return {{"iss", kIdTokenIssuer},        {"sub", "248289761001"},
          {"aud", "jit-broker"},          {"exp", kIdTokenNow + 300},
          {"iat", kIdTokenNow - 10},      {"auth_time", kIdTokenNow - 20},
          {"nonce", "n-0S6_WzA2Mj"},      {"amr", boost::json::array{"pwd", "otp"}},
          {"acr", "urn:corp:mfa"},        {"sid", "s-1"},
          {"preferred_username", "carol"}};
}

IdTokenExpectations good_expectations() {
  IdTokenExpectations expected;
  expected.issuer = kIdTokenIssuer;
  expected.client_id = "jit-broker";
  expected.nonce = "n-0S6_WzA2Mj";
  expected.algorithms = {"RS256", "ES256", "EdDSA"};
  expected.now = kIdTokenNow;
  expected.clock_skew_seconds = 60;
  return expected;
}

// The good claims with one change; a null value removes the claim.
std::string rsa_token_with(std::string_view name, boost::json::value value) {
  auto claims = good_id_claims();
  if (value.is_null()) {
    claims.erase(name);
  } else {
    claims[name] = std::move(value);
  }
  return id_token_keys().rsa.sign_claims(claims);
}

std::string header_json(std::string_view alg, std::string_view kid) {
  return boost::json::serialize(boost::json::object{{"alg", alg}, {"kid", kid}});
}

std::string good_payload() { return boost::json::serialize(good_id_claims()); }

struct IdTokenCase {
  const char* name;
  std::function<std::string()> token;
  std::function<void(IdTokenExpectations&)> adjust;  // may be empty
  std::optional<ApprovalsErrc> error;                // nullopt: the token verifies
};

std::string with_signature(std::string_view token, std::string_view signature) {
  return std::string(token.substr(0, token.rfind('.') + 1)) + std::string(signature);
}

std::vector<IdTokenCase> id_token_cases() {
  const auto& keys = id_token_keys();
  const std::string skewed_out = std::to_string(kIdTokenNow - 60);
  return {
      {"rs256 verifies", [&] { return keys.rsa.sign_claims(good_id_claims()); }, {}, std::nullopt},
      {"es256 verifies", [&] { return keys.ec.sign_claims(good_id_claims()); }, {}, std::nullopt},
      {"eddsa verifies", [&] { return keys.ed.sign_claims(good_id_claims()); }, {}, std::nullopt},
      {"wrong iss",
       [] { return rsa_token_with("iss", "https://idp.example.test/realms/other"); },
       {},
       ApprovalsErrc::unauthenticated},
      {"iss with a trailing slash",
       [] { return rsa_token_with("iss", boost::json::value(kIdTokenIssuer + "/")); },
       {},
       ApprovalsErrc::unauthenticated},
      {"aud missing",
       [] { return rsa_token_with("aud", nullptr); },
       {},
       ApprovalsErrc::invalid_input},
      {"aud of another client",
       [] { return rsa_token_with("aud", "other-app"); },
       {},
       ApprovalsErrc::unauthenticated},
      {"several aud without azp",
       [] {
         return rsa_token_with("aud", boost::json::array{"jit-broker", "other-app"});
       },
       {},
       ApprovalsErrc::unauthenticated},
      {"several aud with our azp",
       [] {
         auto claims = good_id_claims();
         claims["aud"] = boost::json::array{"jit-broker", "other-app"};
         claims["azp"] = "jit-broker";
         return id_token_keys().rsa.sign_claims(claims);
       },
       {},
       std::nullopt},
      {"azp mismatch",
       [] { return rsa_token_with("azp", "other-app"); },
       {},
       ApprovalsErrc::unauthenticated},
      {"expired beyond the skew",
       [] { return rsa_token_with("exp", kIdTokenNow - 61); },
       {},
       ApprovalsErrc::expired},
      {"exp exactly at the skew boundary",
       [] { return rsa_token_with("exp", kIdTokenNow - 60); },
       {},
       ApprovalsErrc::expired},
      {"exp within the skew",
       [] { return rsa_token_with("exp", kIdTokenNow - 59); },
       {},
       std::nullopt},
      {"exp now without skew", [] { return rsa_token_with("exp", kIdTokenNow); },
       [](IdTokenExpectations& e) { e.clock_skew_seconds = 0; }, ApprovalsErrc::expired},
      {"nbf in the future",
       [] { return rsa_token_with("nbf", kIdTokenNow + 61); },
       {},
       ApprovalsErrc::expired},
      {"nbf within the skew",
       [] { return rsa_token_with("nbf", kIdTokenNow + 60); },
       {},
       std::nullopt},
      {"iat in the future",
       [] { return rsa_token_with("iat", kIdTokenNow + 61); },
       {},
       ApprovalsErrc::expired},
      {"iat within the skew",
       [] { return rsa_token_with("iat", kIdTokenNow + 60); },
       {},
       std::nullopt},
      {"exp as text",
       [=] { return rsa_token_with("exp", boost::json::value(skewed_out)); },
       {},
       ApprovalsErrc::invalid_input},
      {"exp as a fraction",
       [] { return rsa_token_with("exp", 1.8e9 + 0.5); },
       {},
       ApprovalsErrc::invalid_input},
      {"exp negative", [] { return rsa_token_with("exp", -1); }, {}, ApprovalsErrc::invalid_input},
      {"iat missing",
       [] { return rsa_token_with("iat", nullptr); },
       {},
       ApprovalsErrc::invalid_input},
      {"sub missing",
       [] { return rsa_token_with("sub", nullptr); },
       {},
       ApprovalsErrc::invalid_input},
      {"amr not a list",
       [] { return rsa_token_with("amr", "pwd"); },
       {},
       ApprovalsErrc::invalid_input},
      {"nonce mismatch",
       [] { return rsa_token_with("nonce", "n-other"); },
       {},
       ApprovalsErrc::unauthenticated},
      {"nonce one character short",
       [] { return rsa_token_with("nonce", "n-0S6_WzA2M"); },
       {},
       ApprovalsErrc::unauthenticated},
      {"nonce missing",
       [] { return rsa_token_with("nonce", nullptr); },
       {},
       ApprovalsErrc::unauthenticated},
      {"nonce not expected", [] { return rsa_token_with("nonce", nullptr); },
       [](IdTokenExpectations& e) { e.nonce.reset(); }, std::nullopt},
      {"alg none with a signature",
       [] {
         return base64url_of(header_json("none", "rsa-1")) + "." + base64url_of(good_payload()) +
                ".AAAA";
       },
       {},
       ApprovalsErrc::unsupported},
      {"alg none without a signature",
       [] {
         return base64url_of(header_json("none", "rsa-1")) + "." + base64url_of(good_payload()) +
                ".";
       },
       {},
       ApprovalsErrc::invalid_input},
      {"HS256 keyed with the RSA public key",
       [&] {
         const std::string input =
             base64url_of(header_json("HS256", "rsa-1")) + "." + base64url_of(good_payload());
         return input + "." + testing::hs256_signature(keys.rsa.public_pem(), input);
       },
       [](IdTokenExpectations& e) { e.algorithms.push_back("HS256"); }, ApprovalsErrc::unsupported},
      {"RS256 token naming the EC key",
       [&] { return keys.rsa.sign(header_json("RS256", "ec-1"), good_payload()); },
       {},
       ApprovalsErrc::unsupported},
      {"ES256 token naming the Ed25519 key",
       [&] { return keys.ec.sign(header_json("ES256", "ed-1"), good_payload()); },
       {},
       ApprovalsErrc::unsupported},
      {"ES256 not allowed", [&] { return keys.ec.sign_claims(good_id_claims()); },
       [](IdTokenExpectations& e) { e.algorithms = {"RS256"}; }, ApprovalsErrc::unsupported},
      {"crit header",
       [&] {
         return keys.rsa.sign(R"({"alg":"RS256","kid":"rsa-1","crit":["exp"],"exp":1})",
                              good_payload());
       },
       {},
       ApprovalsErrc::unsupported},
      {"unknown kid",
       [&] { return keys.rsa.sign(header_json("RS256", "rsa-2"), good_payload()); },
       {},
       ApprovalsErrc::unknown_key},
      {"kid missing",
       [&] { return keys.rsa.sign(R"({"alg":"RS256"})", good_payload()); },
       {},
       ApprovalsErrc::invalid_input},
      {"signed by another key under our kid",
       [&] { return keys.rsa_impostor.sign_claims(good_id_claims()); },
       {},
       ApprovalsErrc::unauthenticated},
      {"tampered payload",
       [&] {
         const std::string token = keys.ec.sign_claims(good_id_claims());
         auto claims = good_id_claims();
         claims["preferred_username"] = "root";
         const auto first = token.find('.');
         const auto second = token.find('.', first + 1);
         return token.substr(0, first + 1) + base64url_of(boost::json::serialize(claims)) +
                token.substr(second);
       },
       {},
       ApprovalsErrc::unauthenticated},
      {"ES256 signature of 63 bytes",
       [&] {
         return with_signature(keys.ec.sign_claims(good_id_claims()),
                               base64url_of(std::string(63, '\x01')));
       },
       {},
       ApprovalsErrc::invalid_input},
      {"ES256 signature in DER",
       [&] {
         return with_signature(keys.ec.sign_claims(good_id_claims()),
                               base64url_of(std::string("\x30\x06\x02\x01\x01\x02\x01\x01", 8)));
       },
       {},
       ApprovalsErrc::invalid_input},
      {"RS256 signature one byte short",
       [&] {
         return with_signature(keys.rsa.sign_claims(good_id_claims()),
                               base64url_of(std::string(255, '\x01')));
       },
       {},
       ApprovalsErrc::invalid_input},
      {"EdDSA signature of 65 bytes",
       [&] {
         return with_signature(keys.ed.sign_claims(good_id_claims()),
                               base64url_of(std::string(65, '\x01')));
       },
       {},
       ApprovalsErrc::invalid_input},
      {"signature not base64url",
       [&] { return with_signature(keys.rsa.sign_claims(good_id_claims()), "a+b/"); },
       {},
       ApprovalsErrc::invalid_input},
      {"two parts",
       [] { return std::string("eyJhbGciOiJSUzI1NiJ9.e30"); },
       {},
       ApprovalsErrc::invalid_input},
      {"four parts",
       [&] { return keys.rsa.sign_claims(good_id_claims()) + ".AAAA"; },
       {},
       ApprovalsErrc::invalid_input},
      {"payload not JSON",
       [&] { return keys.rsa.sign(header_json("RS256", "rsa-1"), "{nope"); },
       {},
       ApprovalsErrc::invalid_input},
      {"payload a JSON array",
       [&] { return keys.rsa.sign(header_json("RS256", "rsa-1"), "[]"); },
       {},
       ApprovalsErrc::invalid_input},
      {"duplicate claim",
       [&] {
         return keys.rsa.sign(header_json("RS256", "rsa-1"),
                              R"({"iss":"https://evil.test","iss":")" + kIdTokenIssuer + "\"}");
       },
       {},
       ApprovalsErrc::invalid_input},
      {"oversized token",
       [] { return std::string(70 * 1024, 'a') + ".b.c"; },
       {},
       ApprovalsErrc::invalid_input},
  };
}

TEST(IdToken, EveryCheckOfTheTable) {
  for (const IdTokenCase& row : id_token_cases()) {
    SCOPED_TRACE(row.name);
    IdTokenExpectations expected = good_expectations();
    if (row.adjust) row.adjust(expected);
    const auto result = verify_id_token(row.token(), id_token_keys().set, expected);
    if (row.error) {
      ASSERT_FALSE(result.has_value());
      EXPECT_EQ(result.error(), *row.error) << result.error().message();
    } else {
      EXPECT_TRUE(result.has_value()) << result.error().message();
    }
  }
}

TEST(IdToken, ReadsTheClaimsItVerified) {
  const auto result = verify_id_token(id_token_keys().ed.sign_claims(good_id_claims()),
                                      id_token_keys().set, good_expectations());
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->issuer, kIdTokenIssuer);
  EXPECT_EQ(result->subject, "248289761001");
  EXPECT_EQ(result->audience, std::vector<std::string>{"jit-broker"});
  EXPECT_EQ(result->expires_at, kIdTokenNow + 300);
  EXPECT_EQ(result->issued_at, kIdTokenNow - 10);
  EXPECT_EQ(result->auth_time, kIdTokenNow - 20);
  EXPECT_EQ(result->amr, (std::vector<std::string>{"pwd", "otp"}));
  EXPECT_EQ(result->acr, "urn:corp:mfa");
  EXPECT_EQ(result->session_id, "s-1");
  EXPECT_EQ(result->claims.at("preferred_username"), "carol");
}

TEST(IdToken, KeyIdIsReadWithoutVerifying) {
  EXPECT_EQ(id_token_key_id(id_token_keys().ec.sign_claims(good_id_claims())).value(), "ec-1");
  EXPECT_EQ(id_token_key_id(id_token_keys().rsa.sign(R"({"alg":"RS256"})", "{}")).error(),
            ApprovalsErrc::invalid_input);
  EXPECT_EQ(id_token_key_id("not-a-token").error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(id_token_key_id("%%%.e30.AA").error(), ApprovalsErrc::invalid_input);
}

TEST(IdToken, UnknownKeyIsFoundAfterTheKeySetIsRefreshed) {
  const auto& keys = id_token_keys();
  const JwsTestKey rotated = JwsTestKey::p256("ec-2");
  const std::string token = rotated.sign_claims(good_id_claims());
  EXPECT_EQ(verify_id_token(token, keys.set, good_expectations()).error(),
            ApprovalsErrc::unknown_key);
  const auto refreshed =
      parse_json_web_key_set(testing::jwks_text({keys.rsa.public_jwk(), rotated.public_jwk()}));
  ASSERT_TRUE(refreshed.has_value());
  EXPECT_TRUE(verify_id_token(token, *refreshed, good_expectations()).has_value());
}

}  // namespace
}  // namespace jit::approvals
