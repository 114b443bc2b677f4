#include "broker/http/router.hpp"
#include "broker/http/json_response.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <memory>
#include <optional>
#include <stdexcept>

namespace jit::broker {
namespace {

struct Dispatched {
  std::optional<HttpResponse> response;
  int answers = 0;
  std::string_view route;
};

// A handler that echoes what the router gave it: the route, the params and the remote address.
Handler echo(std::string name) {
  return [name](RequestContext&& context, Responder respond) {
    boost::json::object body{{"handler", name}, {"route", std::string(context.route)}};
    boost::json::object params;
    for (const auto& [key, value] : context.params) params[key] = value;
    body["params"] = std::move(params);
    respond(json_response(http::status::ok, body));
  };
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.add(http::verb::get, "/healthz", echo("health"));
    router_.add(http::verb::get, "/v1/requests", echo("list"));
    router_.add(http::verb::post, "/v1/requests", echo("create"));
    router_.add(http::verb::get, "/v1/requests/{id}", echo("get"));
    router_.add(http::verb::post, "/v1/requests/{id}/approve", echo("approve"));
    router_.add(http::verb::post, "/v1/requests/{id}/deny", echo("deny"));
    router_.add(http::verb::get, "/v1/grants/{grant}/certs/{serial}", echo("cert"));
    router_.add(http::verb::get, "/v1/ca/ssh", echo("ca-ssh"));
    router_.add(http::verb::get, "/v1/ca/{kind}", echo("ca-any"));
    router_.add(http::verb::get, "/", echo("root"));
  }

  Dispatched call(http::verb method, std::string_view target) const {
    Dispatched out;
    RequestContext context;
    context.request = HttpRequest(method, target, 11);
    context.remote_ip = "127.0.0.1";
    out.route = router_.dispatch(std::move(context), [&out](HttpResponse response) {
      out.response = std::move(response);
      ++out.answers;
    });
    return out;
  }

  static boost::json::object body_of(const Dispatched& d) {
    return boost::json::parse(d.response->body()).as_object();
  }

  Router router_;
};

TEST_F(RouterTest, MatchesEachRouteByMethodAndPattern) {
  struct Case {
    http::verb method;
    const char* target;
    const char* handler;
    const char* route;
  };
  const Case cases[] = {
      {http::verb::get, "/healthz", "health", "/healthz"},
      {http::verb::get, "/v1/requests", "list", "/v1/requests"},
      {http::verb::post, "/v1/requests", "create", "/v1/requests"},
      {http::verb::get, "/v1/requests/r-17", "get", "/v1/requests/{id}"},
      {http::verb::post, "/v1/requests/r-17/approve", "approve", "/v1/requests/{id}/approve"},
      {http::verb::post, "/v1/requests/r-17/deny", "deny", "/v1/requests/{id}/deny"},
      {http::verb::get, "/v1/grants/g1/certs/42", "cert", "/v1/grants/{grant}/certs/{serial}"},
      {http::verb::get, "/v1/ca/ssh", "ca-ssh", "/v1/ca/ssh"},  // a literal beats a parameter
      {http::verb::get, "/v1/ca/x509", "ca-any", "/v1/ca/{kind}"},
      {http::verb::get, "/", "root", "/"},
      {http::verb::get, "/v1/requests?state=pending", "list", "/v1/requests"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    const Dispatched d = call(c.method, c.target);
    ASSERT_EQ(d.answers, 1);
    EXPECT_EQ(d.response->result(), http::status::ok);
    EXPECT_EQ(body_of(d).at("handler").as_string(), c.handler);
    EXPECT_EQ(body_of(d).at("route").as_string(), c.route);
    EXPECT_EQ(d.route, c.route);
  }
}

TEST_F(RouterTest, PathParametersArePercentDecoded) {
  const Dispatched d = call(http::verb::get, "/v1/grants/a%20b%41/certs/%7e42");
  ASSERT_EQ(d.response->result(), http::status::ok);
  const auto params = body_of(d).at("params").as_object();
  EXPECT_EQ(params.at("grant").as_string(), "a bA");
  EXPECT_EQ(params.at("serial").as_string(), "~42");
  EXPECT_EQ(params.size(), 2u);
}

TEST_F(RouterTest, UnknownPathIs404Json) {
  for (const char* target : {"/nope", "/v1/requests/r1/approve/extra", "/v1", "/healthz/",
                             "/v1/requests/", "/HEALTHZ"}) {
    SCOPED_TRACE(target);
    const Dispatched d = call(http::verb::get, target);
    ASSERT_EQ(d.answers, 1);
    EXPECT_EQ(d.response->result(), http::status::not_found);
    EXPECT_EQ(body_of(d).at("code").as_string(), "not_found");
    EXPECT_EQ((*d.response)[http::field::content_type], "application/json");
    EXPECT_TRUE(d.route.empty());
  }
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  const Dispatched d = call(http::verb::delete_, "/v1/requests");
  ASSERT_EQ(d.answers, 1);
  EXPECT_EQ(d.response->result(), http::status::method_not_allowed);
  EXPECT_EQ(body_of(d).at("code").as_string(), "method_not_allowed");
  EXPECT_EQ((*d.response)[http::field::allow], "GET, POST");

  const Dispatched approve = call(http::verb::get, "/v1/requests/r1/approve");
  EXPECT_EQ(approve.response->result(), http::status::method_not_allowed);
  EXPECT_EQ((*approve.response)[http::field::allow], "POST");
}

TEST_F(RouterTest, TraversalAndMalformedTargetsAre400) {
  const char* targets[] = {
      "/v1/requests/../ca/ssh",   // raw ".." segment
      "/v1/requests/./r1",        // raw "." segment
      "/v1/requests/%2e%2e",      // decoded parameter ".."
      "/v1/requests/a..b",        // ".." inside a parameter
      "/v1/requests/a%2fb",       // decoded '/'
      "/v1/requests/a%2Fb/deny",  // decoded '/', upper-case escape
      "/v1/requests/a%00b",       // NUL
      "/v1/requests/%0a",         // control byte
      "/v1/requests/%c3%a9",      // decoded non-ASCII
      "/v1//requests",            // empty segment
      "//healthz",                // empty first segment
      "/v1/requests/%zz",         // bad escape
      "/v1/requests/%4",          // truncated escape
      "/v1/requests/r1%",         // truncated escape at the end
      "/v1/requests?x=%zz",       // bad escape in the query
      "/v1/requests?x=%00",       // NUL in the query
      "/healthz#fragment",        // fragments are never sent
      "healthz",                  // not origin-form
      "http://example.com/healthz",
      "*",
      "",
      "/v1/requests/\xc3\xa9",  // raw non-ASCII
      "/v1/requests/a b",       // raw space
      "/v1/requests/a\tb",      // raw control byte
  };
  for (const char* target : targets) {
    SCOPED_TRACE(target);
    const Dispatched d = call(http::verb::get, target);
    ASSERT_EQ(d.answers, 1);
    EXPECT_EQ(d.response->result(), http::status::bad_request);
    EXPECT_EQ(body_of(d).at("code").as_string(), "invalid_path");
  }
}

TEST_F(RouterTest, TooDeepPathIs404) {
  std::string target;
  for (int i = 0; i < 40; ++i) target += "/a";
  const Dispatched d = call(http::verb::get, target);
  EXPECT_EQ(d.response->result(), http::status::not_found);
}

TEST(RouterOpaqueParam, StarParameterTakesAnEscapedSlashOthersStillRefuseIt) {
  Router router;
  router.add(http::verb::get, "/v1/ca/x509/ocsp/{request*}", echo("ocsp"));
  router.add(http::verb::get, "/v1/requests/{id}", echo("get"));
  const auto call = [&router](std::string_view target) {
    Dispatched out;
    RequestContext context;
    context.request = HttpRequest(http::verb::get, target, 11);
    router.dispatch(std::move(context), [&out](HttpResponse response) {
      out.response = std::move(response);
      ++out.answers;
    });
    return out;
  };
  // RFC 6960 appendix A: the URL-encoded base64 of the request, '/' as %2F.
  const auto ocsp = call("/v1/ca/x509/ocsp/MEUw%2FQ%2BZ%3D");
  ASSERT_EQ(ocsp.response->result(), http::status::ok);
  const auto body = boost::json::parse(ocsp.response->body()).as_object();
  EXPECT_EQ(body.at("params").at("request"), "MEUw/Q+Z=");
  EXPECT_EQ(call("/v1/requests/a%2Fb").response->result(), http::status::bad_request);
  EXPECT_EQ(call("/v1/ca/x509/ocsp/a%2F..%2Fb").response->result(), http::status::bad_request);
  EXPECT_EQ(call("/v1/ca/x509/ocsp/a%00b").response->result(), http::status::bad_request);
}

TEST(RouterQuery, ParsesAndDecodesTheQueryString) {
  RequestContext context;
  context.request =
      HttpRequest(http::verb::get, "/v1/audit?after=12&state=pending+now&x&e=%41%2b&after=99", 11);
  EXPECT_EQ(context.query("after"), "12");  // the first value wins
  EXPECT_EQ(context.query("state"), "pending now");
  EXPECT_EQ(context.query("e"), "A+");
  EXPECT_EQ(context.query("x"), "");
  EXPECT_TRUE(context.has_query("x"));
  EXPECT_FALSE(context.has_query("missing"));
  EXPECT_EQ(context.query("missing"), "");
  context.request.target("/v1/audit");
  EXPECT_FALSE(context.has_query("after"));
  EXPECT_EQ(context.query("after"), "");
}

TEST(RouterHandlers, ThrowingHandlerGives500WithoutDetail) {
  Router router;
  router.add(http::verb::get, "/boom", [](RequestContext&&, Responder) {
    throw std::runtime_error("secret internal detail");
  });
  std::optional<HttpResponse> got;
  RequestContext context;
  context.request = HttpRequest(http::verb::get, "/boom", 11);
  router.dispatch(std::move(context), [&](HttpResponse r) { got = std::move(r); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->result(), http::status::internal_server_error);
  EXPECT_EQ(got->body(), R"({"error":"internal error","code":"internal_error"})");
}

// The operator's log gets one line (broker/log.hpp) with the request id, the route and the
// exception (its control characters replaced, broker/caught_exception.hpp).
TEST(RouterHandlers, ThrowingHandlerIsLoggedOnOneLine) {
  Router router;
  router.add(http::verb::get, "/boom/{id}",
             [](RequestContext&&, Responder) { throw std::runtime_error("first\nsecond"); });
  RequestContext context;
  context.request = HttpRequest(http::verb::get, "/boom/42", 11);
  context.log = std::make_shared<RequestLog>(RequestLog{"00112233aabbccdd", {}});
  ::testing::internal::CaptureStderr();
  router.dispatch(std::move(context), [](HttpResponse) {});
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err,
            "jit-broker: error: handler_threw request_id=00112233aabbccdd route=/boom/{id} "
            "error=\"std::runtime_error: first?second\"\n");
}

// Malformed input is answered by the router itself (4xx) and never reaches a handler, so a
// handler's failure can never be triggered by a malformed path.
TEST(RouterHandlers, MalformedInputNeverReachesAHandler) {
  Router router;
  bool reached = false;
  router.add(http::verb::get, "/v1/requests/{id}", [&](RequestContext&&, Responder) {
    reached = true;
    throw std::runtime_error("must not be called");
  });
  const std::string valid = "/v1/requests/xyz";  // no hex digits: "%2" + "x" stays malformed
  const std::string bad_bytes[] = {"%", "%2", "%2f", "%00", "..", "/", " ", "\x7f", "\x80", "#"};
  for (std::size_t at = 13; at <= valid.size(); ++at) {
    for (const std::string& bad : bad_bytes) {
      std::string target = valid;
      target.insert(at, bad);
      if (bad == "/" && at == valid.size()) continue;  // a trailing slash is simply unknown
      RequestContext context;
      context.request = HttpRequest(http::verb::get, target, 11);
      std::optional<HttpResponse> got;
      router.dispatch(std::move(context), [&](HttpResponse r) { got = std::move(r); });
      ASSERT_TRUE(got) << target;
      EXPECT_GE(got->result_int(), 400u) << target;
      EXPECT_LT(got->result_int(), 500u) << target;
      EXPECT_FALSE(reached) << target;
    }
  }
}

TEST(RouterSetup, RefusesMalformedPatternsAndDuplicates) {
  Router router;
  const Handler ok = [](RequestContext&&, Responder) {};
  EXPECT_THROW(router.add(http::verb::get, "no-slash", ok), std::invalid_argument);
  EXPECT_THROW(router.add(http::verb::get, "/a//b", ok), std::invalid_argument);
  EXPECT_THROW(router.add(http::verb::get, "/a/{}", ok), std::invalid_argument);
  EXPECT_THROW(router.add(http::verb::get, "/a/{x-y}", ok), std::invalid_argument);
  EXPECT_THROW(router.add(http::verb::get, "/a/{x}/{x}", ok), std::invalid_argument);
  EXPECT_THROW(router.add(http::verb::get, "/a/b%20", ok), std::invalid_argument);
  EXPECT_THROW(router.add(http::verb::get, "/a/..", ok), std::invalid_argument);
  EXPECT_THROW(router.add(http::verb::get, "/a", Handler{}), std::invalid_argument);
  router.add(http::verb::get, "/a/{x}", ok);
  EXPECT_THROW(router.add(http::verb::get, "/a/{y}", ok), std::logic_error);
  router.add(http::verb::post, "/a/{y}", ok);  // another method is another route
}

}  // namespace
}  // namespace jit::broker
