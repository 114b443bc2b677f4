// GET /v1/ca/ssh/krl and /v1/ca/x509/crl through the Router, without sockets: bodies from the
// publisher's snapshot, content types, strong ETags and 304 answers, formats, and the If-None-Match
// parser.
#include "broker/api/revocation_api.hpp"

#include "broker/http/router.hpp"
#include "support/revocation_fixture.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <future>

namespace jit::broker {
namespace {

using jit::testing::RevocationFixture;

class RevocationApiTest : public ::testing::Test, public RevocationFixture {
 protected:
  RevocationApiTest() : publisher_(make_publisher()) {
    add_revocation_routes(router_, *publisher_);
  }

  HttpResponse get(const std::string& target, const std::string& if_none_match = "") {
    RequestContext context;
    context.request.method(http::verb::get);
    context.request.target(target);
    context.request.version(11);
    if (!if_none_match.empty()) context.request.set(http::field::if_none_match, if_none_match);
    context.remote_ip = "127.0.0.1";
    std::promise<HttpResponse> promise;
    auto future = promise.get_future();
    router_.dispatch(std::move(context),
                     [&promise](HttpResponse response) { promise.set_value(std::move(response)); });
    return future.get();
  }

  static std::string header(const HttpResponse& response, http::field field) {
    return std::string(response[field]);
  }

  std::unique_ptr<RevocationPublisher> publisher_;
  Router router_;
};

TEST_F(RevocationApiTest, AnswersUnavailableBeforeTheFirstPublication) {
  for (const char* target : {"/v1/ca/ssh/krl", "/v1/ca/x509/crl"}) {
    const auto response = get(target);
    EXPECT_EQ(response.result(), http::status::service_unavailable) << target;
    EXPECT_EQ(boost::json::parse(response.body()).at("code"), "unavailable");
  }
}

TEST_F(RevocationApiTest, ServesTheKrlWithAStrongEtagAndAnswers304WhenItMatches) {
  ASSERT_FALSE(publisher_->rebuild());
  const auto snapshot = publisher_->snapshot();
  const auto response = get("/v1/ca/ssh/krl");
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), snapshot->krl->bytes);
  EXPECT_EQ(header(response, http::field::content_type), "application/octet-stream");
  EXPECT_EQ(header(response, http::field::cache_control), "no-cache");
  EXPECT_EQ(header(response, http::field::content_length),
            std::to_string(snapshot->krl->bytes.size()));
  const std::string etag = header(response, http::field::etag);
  EXPECT_EQ(etag, snapshot->krl->etag);
  EXPECT_TRUE(etag.starts_with("\"krl-1-")) << etag;
  EXPECT_EQ(etag.size(), 1 + 6 + 32 + 1u);
  EXPECT_EQ(std::string(response["X-Content-Type-Options"]), "nosniff");

  for (const std::string& condition : {etag, "W/" + etag, "\"other\", " + etag,
                                       "\"a\",W/" + etag + " , \"b\"", std::string("*")}) {
    const auto cached = get("/v1/ca/ssh/krl", condition);
    EXPECT_EQ(cached.result(), http::status::not_modified) << condition;
    EXPECT_TRUE(cached.body().empty());
    EXPECT_EQ(header(cached, http::field::etag), etag);
    EXPECT_EQ(header(cached, http::field::cache_control), "no-cache");
  }
  for (const std::string& condition : {std::string("\"other\""), etag.substr(0, etag.size() - 1),
                                       "garbage, " + etag, etag.substr(1, etag.size() - 2)}) {
    EXPECT_EQ(get("/v1/ca/ssh/krl", condition).result(), http::status::ok) << condition;
  }

  // A revocation makes a new KRL with another ETag; the old one no longer matches.
  insert_certificate("ssh", "5", ssh_ca_key(), now_ + 3600, now_);
  ASSERT_FALSE(publisher_->rebuild());
  const auto fresh = get("/v1/ca/ssh/krl", etag);
  EXPECT_EQ(fresh.result(), http::status::ok);
  EXPECT_NE(header(fresh, http::field::etag), etag);
  EXPECT_TRUE(header(fresh, http::field::etag).starts_with("\"krl-2-"));
  EXPECT_EQ(get("/v1/ca/ssh/krl", header(fresh, http::field::etag)).result(),
            http::status::not_modified);
}

TEST_F(RevocationApiTest, ServesTheCrlAsDerPemOrBundleEachWithItsOwnEtag) {
  ASSERT_FALSE(publisher_->rebuild());
  const auto crls = publisher_->snapshot()->crls;
  struct Case {
    std::string target, body, etag, content_type;
  };
  const Case cases[] = {
      {"/v1/ca/x509/crl", crls->der, crls->der_etag, "application/pkix-crl"},
      {"/v1/ca/x509/crl?format=der", crls->der, crls->der_etag, "application/pkix-crl"},
      {"/v1/ca/x509/crl?format=pem", crls->pem, crls->pem_etag, "application/x-pem-file"},
      {"/v1/ca/x509/crl?format=pem-bundle", crls->bundle_pem, crls->bundle_etag,
       "application/x-pem-file"},
  };
  for (const auto& c : cases) {
    const auto response = get(c.target);
    ASSERT_EQ(response.result(), http::status::ok) << c.target;
    EXPECT_EQ(response.body(), c.body) << c.target;
    EXPECT_EQ(header(response, http::field::etag), c.etag) << c.target;
    EXPECT_EQ(header(response, http::field::content_type), c.content_type) << c.target;
    EXPECT_EQ(header(response, http::field::cache_control), "no-cache");
    EXPECT_EQ(get(c.target, c.etag).result(), http::status::not_modified) << c.target;
  }
  EXPECT_NE(crls->der_etag, crls->pem_etag);
  EXPECT_NE(crls->pem_etag, crls->bundle_etag);
  EXPECT_TRUE(crls->bundle_pem.starts_with(crls->pem));
  // Another representation's tag does not validate this one.
  EXPECT_EQ(get("/v1/ca/x509/crl?format=pem", crls->der_etag).result(), http::status::ok);
}

TEST_F(RevocationApiTest, RefusesAnyOtherFormatWithAJsonError) {
  ASSERT_FALSE(publisher_->rebuild());
  for (const char* target : {"/v1/ca/x509/crl?format=", "/v1/ca/x509/crl?format=PEM",
                             "/v1/ca/x509/crl?format=text", "/v1/ca/x509/crl?format=pem-bundle2"}) {
    const auto response = get(target);
    EXPECT_EQ(response.result(), http::status::bad_request) << target;
    EXPECT_EQ(header(response, http::field::content_type), "application/json");
    const auto body = boost::json::parse(response.body());
    EXPECT_EQ(body.at("code"), "invalid_format") << target;
  }
}

TEST(IfNoneMatch, ParsesListsStrictlyAndComparesWeakly) {
  HttpRequest request;
  EXPECT_FALSE(if_none_match_matches(request, "\"a\""));
  struct Case {
    std::string field;
    bool matches;
  } const cases[] = {
      {"\"a\"", true}, {"W/\"a\"", true},  {" \"b\" ,\t\"a\"", true},
      {"*", true},     {"\"ab\"", false},  {"a", false},
      {"\"a", false},  {"w/\"a\"", false}, {"\"b\" x \"a\"", false},
      {"", false},     {",,,", false},     {"W/", false},
  };
  for (const auto& c : cases) {
    request.set(http::field::if_none_match, c.field);
    EXPECT_EQ(if_none_match_matches(request, "\"a\""), c.matches) << c.field;
  }
  // Two fields: either may match.
  request.set(http::field::if_none_match, "\"x\"");
  request.insert(http::field::if_none_match, "\"a\"");
  EXPECT_TRUE(if_none_match_matches(request, "\"a\""));
}

}  // namespace
}  // namespace jit::broker
