#include "broker/http/json_response.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <string>

namespace jit::broker {
namespace {

HttpRequest json_request(std::string body, std::string_view content_type = "application/json") {
  HttpRequest request(http::verb::post, "/v1/requests", 11);
  if (!content_type.empty()) request.set(http::field::content_type, content_type);
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

// The refusal's status and "code", or {200, ""} when the body was accepted.
std::pair<unsigned, std::string> verdict(const HttpRequest& request,
                                         std::size_t max = kDefaultMaxJsonBodyBytes) {
  const JsonBodyResult result = parse_json_body(request, max);
  if (result.has_value()) return {200, ""};
  const auto body = boost::json::parse(result.error().body()).as_object();
  return {result.error().result_int(), std::string(body.at("code").as_string())};
}

void expect_security_headers(const HttpResponse& response) {
  EXPECT_EQ(response[http::field::cache_control], "no-store");
  EXPECT_EQ(response["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(response["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(response[http::field::strict_transport_security], "max-age=31536000");
}

TEST(JsonResponse, CarriesJsonAndSecurityHeaders) {
  const HttpResponse response =
      json_response(http::status::created, boost::json::object{{"id", "r1"}, {"n", 2}});
  EXPECT_EQ(response.result(), http::status::created);
  EXPECT_EQ(response.body(), R"({"id":"r1","n":2})");
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_EQ(response[http::field::content_length], "17");
  expect_security_headers(response);
}

TEST(JsonResponse, ErrorBodyHasErrorThenCode) {
  const HttpResponse response =
      error_response(http::status::conflict, "wrong_state", "the request is not pending");
  EXPECT_EQ(response.result(), http::status::conflict);
  EXPECT_EQ(response.body(), R"({"error":"the request is not pending","code":"wrong_state"})");
  EXPECT_EQ(response[http::field::content_type], "application/json");
  expect_security_headers(response);
}

TEST(JsonResponse, TextResponseKeepsItsContentType) {
  const HttpResponse response = text_response(http::status::ok, "a b\n", "text/plain");
  EXPECT_EQ(response[http::field::content_type], "text/plain");
  EXPECT_EQ(response.body(), "a b\n");
  expect_security_headers(response);
}

TEST(JsonBody, AcceptsAnObject) {
  const JsonBodyResult result = parse_json_body(json_request(
      R"( {"role":"prod-db-read","duration":"30m","mfa":{"totp":"123456"},"n":[1,2.5,-3,true,null]} )"));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->at("role").as_string(), "prod-db-read");
  EXPECT_EQ(result->at("mfa").as_object().at("totp").as_string(), "123456");
  EXPECT_EQ(result->at("n").as_array().size(), 5u);
}

TEST(JsonBody, AcceptsJsonContentTypeVariants) {
  EXPECT_EQ(verdict(json_request("{}", "application/json; charset=utf-8")).first, 200u);
  EXPECT_EQ(verdict(json_request("{}", "Application/JSON;charset=UTF-8")).first, 200u);
  EXPECT_EQ(verdict(json_request("{}", "application/json ")).first, 200u);
}

TEST(JsonBody, WrongOrMissingContentTypeIs415) {
  const std::pair<unsigned, std::string> expected{415, "unsupported_media_type"};
  for (const char* type : {"", "text/plain", "application/x-www-form-urlencoded",
                           "application/jsonx", "application/json; charset=latin1",
                           "multipart/form-data; boundary=x", "application/json;"}) {
    SCOPED_TRACE(type);
    EXPECT_EQ(verdict(json_request("{}", type)), expected);
  }
}

TEST(JsonBody, OversizedBodyIs413) {
  const std::string body = R"({"a":")" + std::string(100, 'x') + R"("})";
  EXPECT_EQ(verdict(json_request(body), body.size() - 1),
            (std::pair<unsigned, std::string>{413, "body_too_large"}));
  EXPECT_EQ(verdict(json_request(body), body.size()).first, 200u);
}

TEST(JsonBody, DuplicateKeysAreRefused) {
  const std::pair<unsigned, std::string> expected{400, "duplicate_key"};
  EXPECT_EQ(verdict(json_request(R"({"role":"a","role":"b"})")), expected);
  EXPECT_EQ(verdict(json_request(R"({"a":1,"b":2,"c":3,"a":4})")), expected);
  EXPECT_EQ(verdict(json_request(R"({"mfa":{"totp":"1","totp":"2"}})")), expected);
  EXPECT_EQ(verdict(json_request(R"({"x":[{"k":1,"k":1}]})")), expected);
  // Equal after unescaping is still equal.
  EXPECT_EQ(verdict(json_request(R"({"role":1,"r\u006fle":2})")), expected);
  // The same key in different objects, or a key equal to a value, is fine.
  EXPECT_EQ(verdict(json_request(R"({"a":{"a":1},"b":{"a":2},"c":"a"})")).first, 200u);
  EXPECT_EQ(verdict(json_request(R"({"a":[{"k":1},{"k":2}],"k":3})")).first, 200u);
}

TEST(JsonBody, InvalidUtf8IsRefused) {
  const std::pair<unsigned, std::string> expected{400, "invalid_utf8"};
  for (const std::string& bad : {std::string("\xc3\x28"),          // bad continuation
                                 std::string("\xc0\xaf"),          // overlong '/'
                                 std::string("\xe0\x80\xaf"),      // overlong, 3 bytes
                                 std::string("\xed\xa0\x80"),      // UTF-16 surrogate
                                 std::string("\xf4\x90\x80\x80"),  // above U+10FFFF
                                 std::string("\xff"),              // never valid
                                 std::string("\xe2\x82")}) {       // truncated sequence
    SCOPED_TRACE(::testing::PrintToString(bad));
    EXPECT_EQ(verdict(json_request(R"({"reason":")" + bad + R"("})")), expected);
  }
  EXPECT_EQ(verdict(json_request(R"({"reason":"\ud800"})")), expected);  // escaped lone surrogate
  EXPECT_EQ(verdict(json_request(R"({"reason":"\udc00x"})")), expected);
  EXPECT_EQ(verdict(json_request(R"({"reason":"\ud800\u0041"})")), expected);
  EXPECT_EQ(verdict(json_request(R"({"reason":"\ud800\ud800"})")), expected);
  // An escaped backslash followed by "ud800" is plain text.
  EXPECT_EQ(verdict(json_request(R"({"reason":"\\ud800"})")).first, 200u);
  // Valid multi-byte text and escaped pairs pass.
  EXPECT_EQ(
      verdict(json_request("{\"reason\":\"caf\xc3\xa9 \xf0\x9f\x94\x91 \\ud83d\\udd11\"}")).first,
      200u);
}

TEST(JsonBody, MalformedJsonIs400) {
  const std::pair<unsigned, std::string> expected{400, "invalid_json"};
  for (const char* bad : {"", " ", "{", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "{\"a\":1} x",
                          "{\"a\":1}{}", "{\"a\":01}", "{\"a\":NaN}", "{\"a\":1 /* c */}",
                          "{\"a\":\"\\x\"}", "{\"a\":\"tab\there\"}", "\xef\xbb\xbf{}"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(verdict(json_request(bad)), expected);
  }
  std::string deep;
  for (int i = 0; i < 17; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 17; ++i) deep += "}";
  EXPECT_EQ(verdict(json_request(deep)), expected);
}

TEST(JsonBody, TopLevelMustBeAnObject) {
  const std::pair<unsigned, std::string> expected{400, "expected_object"};
  for (const char* body : {"[]", "[{\"a\":1}]", "\"text\"", "1", "null", "true"}) {
    SCOPED_TRACE(body);
    EXPECT_EQ(verdict(json_request(body)), expected);
  }
}

TEST(JsonBody, EveryTruncationOfAValidBodyIsRefused) {
  const std::string valid = R"({"role":"prod-db-read","mfa":{"totp":"123456"},"d":[1,true]})";
  ASSERT_EQ(verdict(json_request(valid)).first, 200u);
  for (std::size_t length = 0; length < valid.size(); ++length) {
    SCOPED_TRACE(length);
    EXPECT_EQ(verdict(json_request(valid.substr(0, length))),
              (std::pair<unsigned, std::string>{400, "invalid_json"}));
  }
}

TEST(JsonBody, StructuralBytesReplacedAreRefused) {
  const std::string valid = R"({"role":"r","mfa":{"totp":"1"},"d":[1,true]})";
  for (std::size_t at = 0; at < valid.size(); ++at) {
    const char c = valid[at];
    if (c != '{' && c != '}' && c != '[' && c != ']' && c != ':' && c != ',' && c != '"') continue;
    for (const char replacement : {'\x01', '#', '\xff'}) {
      std::string broken = valid;
      broken[at] = replacement;
      SCOPED_TRACE(broken);
      EXPECT_EQ(verdict(json_request(broken)).first, 400u);
    }
  }
}

}  // namespace
}  // namespace jit::broker
