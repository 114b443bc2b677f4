// parse_json_web_key_set (approvals/oidc_id_token.hpp): which keys of a provider's JWKS become
// verification keys, and which documents are refused.
#include "approvals/oidc_id_token.hpp"

#include "tests/support/jws_test_signer.hpp"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace jit::approvals {
namespace {

using testing::jwks_text;
using testing::JwsTestKey;

// The P-256 generator: a point on the curve, and (with y changed) one that is not.
const std::string kJwkGx = "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY";
const std::string kJwkGy = "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU";

boost::json::object ec_jwk(std::string_view x, std::string_view y) {
  return {{"kty", "EC"}, {"crv", "P-256"}, {"kid", "g"}, {"x", x}, {"y", y}};
}

// Keys that would each be skipped (symmetric), so only the count can refuse the set.
std::string many_skipped_keys(int count) {
  std::string keys;
  for (int i = 0; i < count; ++i) keys += std::string(i ? "," : "") + R"({"kty":"oct"})";
  return R"({"keys":[)" + keys + "]}";
}

Result<JsonWebKeySet> parse_keys(std::initializer_list<boost::json::object> jwks) {
  return parse_json_web_key_set(jwks_text(jwks));
}

TEST(JsonWebKeySet, ConvertsTheThreeKeyTypes) {
  const JwsTestKey rsa = JwsTestKey::rsa("r");
  const JwsTestKey ec = JwsTestKey::p256("e");
  const JwsTestKey ed = JwsTestKey::ed25519("d");
  const auto set = parse_keys({rsa.public_jwk(), ec.public_jwk(), ed.public_jwk()});
  ASSERT_TRUE(set.has_value());
  ASSERT_EQ(set->keys.size(), 3u);
  EXPECT_EQ(EVP_PKEY_eq(set->find("r")->key.get(), rsa.key()), 1);
  EXPECT_EQ(EVP_PKEY_eq(set->find("e")->key.get(), ec.key()), 1);
  EXPECT_EQ(EVP_PKEY_eq(set->find("d")->key.get(), ed.key()), 1);
  EXPECT_EQ(set->find("e")->kty, "EC");
  EXPECT_EQ(set->find("d")->alg, "EdDSA");
  EXPECT_EQ(set->find("x"), nullptr);
  EXPECT_TRUE(parse_keys({ec_jwk(kJwkGx, kJwkGy)}).has_value());
}

TEST(JsonWebKeySet, SkipsKeysItDoesNotVerifyWith) {
  const JwsTestKey rsa = JwsTestKey::rsa("r");
  auto encryption = rsa.public_jwk();
  encryption["kid"] = "enc";
  encryption["use"] = "enc";
  encryption.erase("alg");
  auto rs512 = rsa.public_jwk();
  rs512["kid"] = "rs512";
  rs512["alg"] = "RS512";
  auto ec_claiming_rs256 = ec_jwk(kJwkGx, kJwkGy);
  ec_claiming_rs256["alg"] = "RS256";
  const boost::json::object symmetric{{"kty", "oct"}, {"kid", "h"}, {"k", "c2VjcmV0"}};
  const boost::json::object p384{{"kty", "EC"}, {"crv", "P-384"}, {"kid", "p"}, {"x", "AA"}};
  const boost::json::object x25519{{"kty", "OKP"}, {"crv", "X25519"}, {"kid", "x"}, {"x", "AA"}};
  const auto set =
      parse_keys({encryption, rs512, ec_claiming_rs256, symmetric, p384, x25519, rsa.public_jwk()});
  ASSERT_TRUE(set.has_value());
  ASSERT_EQ(set->keys.size(), 1u);
  EXPECT_EQ(set->keys[0].kid, "r");
}

TEST(JsonWebKeySet, RefusesMalformedKeysAndDocuments) {
  const JwsTestKey small_rsa = JwsTestKey::rsa("small", 1024);
  const JwsTestKey rsa = JwsTestKey::rsa("r");
  auto even_exponent = rsa.public_jwk();
  even_exponent["e"] = "AAI";
  auto padded_n = rsa.public_jwk();
  padded_n["n"] = std::string(padded_n["n"].as_string()) + "=";
  auto no_kty = rsa.public_jwk();
  no_kty.erase("kty");
  auto short_ed = JwsTestKey::ed25519("d").public_jwk();
  short_ed["x"] = "AAAA";
  auto ec_short_x = ec_jwk("axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwg", kJwkGy);  // 31 bytes
  const struct {
    const char* name;
    std::string json;
  } cases[] = {
      {"RSA 1024", jwks_text({small_rsa.public_jwk()})},
      {"RSA even exponent", jwks_text({even_exponent})},
      {"padded base64url", jwks_text({padded_n})},
      {"kty missing", jwks_text({no_kty})},
      {"EC point off the curve", jwks_text({ec_jwk(kJwkGx, kJwkGx)})},
      {"EC x of 31 bytes", jwks_text({ec_short_x})},
      {"Ed25519 x of 3 bytes", jwks_text({short_ed})},
      {"two keys with one kid", jwks_text({rsa.public_jwk(), rsa.public_jwk()})},
      {"kid not a string", R"({"keys":[{"kty":"RSA","kid":7}]})"},
      {"keys not a list", R"({"keys":{}})"},
      {"keys missing", R"({"key":[]})"},
      {"a key that is not an object", R"({"keys":[1]})"},
      {"not JSON", "<html>502 Bad Gateway</html>"},
      {"empty", ""},
      {"65 keys", many_skipped_keys(65)},
  };
  for (const auto& row : cases) {
    SCOPED_TRACE(row.name);
    const auto set = parse_json_web_key_set(row.json);
    ASSERT_FALSE(set.has_value());
    EXPECT_EQ(set.error(), ApprovalsErrc::invalid_input);
  }
  EXPECT_TRUE(parse_json_web_key_set(R"({"keys":[]})").has_value());
  EXPECT_TRUE(parse_json_web_key_set(many_skipped_keys(64)).has_value());
}

}  // namespace
}  // namespace jit::approvals
