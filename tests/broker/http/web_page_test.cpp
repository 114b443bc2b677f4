// The web approval page as the broker serves it (GET / and GET /web/<file> from the embedded copy
// of approvals/web/) and the security rules around it: headers on every answer, no path outside
// the known file names, no inline script or markup-building in the page, and the CSRF token on
// every state-changing call the page makes with its cookie.
#include "broker/api/roles_api.hpp"
#include "broker/http/web_assets.hpp"
#include "broker/http/web_routes.hpp"
#include "tests/support/access_fixture.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)

namespace json = boost::json;
namespace http = broker::http;
using Headers = std::map<std::string, std::string>;

const std::filesystem::path kWebDir =
    std::filesystem::path(JIT_TEST_DATA_DIR).parent_path().parent_path().parent_path() /
    "approvals" / "web";

std::string header(const Answer& answer, std::string_view name) {
  return std::string(answer.raw[name]);
}

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

struct Tag {
  std::string text;  // "<script type=... src=...>"
  std::size_t end;   // just after the '>'
};

// The opening tags of an HTML text (comments and closing tags left out).
std::vector<Tag> tags_of(const std::string& html) {
  std::vector<Tag> tags;
  for (std::size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
    if (at + 1 >= html.size() || !std::isalpha(static_cast<unsigned char>(html[at + 1]))) continue;
    const auto close = html.find('>', at);
    if (close == std::string::npos) break;
    tags.push_back({html.substr(at, close + 1 - at), close + 1});
  }
  return tags;
}

// Names of the attributes of one tag: each word after white space that a '=' follows, or that
// stands alone (a boolean attribute). Quoted values are skipped.
std::vector<std::string> attribute_names(const std::string& tag) {
  std::vector<std::string> names;
  std::size_t i = tag.find_first_of(" \t\r\n");
  while (i != std::string::npos && i < tag.size()) {
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    std::size_t start = i;
    while (i < tag.size() && (std::isalnum(static_cast<unsigned char>(tag[i])) || tag[i] == '-'))
      ++i;
    if (i > start) names.push_back(tag.substr(start, i - start));
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    if (i < tag.size() && tag[i] == '=') {
      ++i;
      while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
      if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
        const auto quote = tag.find(tag[i], i + 1);
        i = quote == std::string::npos ? tag.size() : quote + 1;
      } else {
        while (i < tag.size() && !std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
      }
    } else if (i == start) {
      ++i;  // '/' or '>'
    }
  }
  return names;
}

void expect_security_headers(const Answer& answer, const std::string& what) {
  EXPECT_EQ(header(answer, "Content-Security-Policy"), "default-src 'self'; frame-ancestors 'none'")
      << what;
  EXPECT_EQ(header(answer, "X-Content-Type-Options"), "nosniff") << what;
  EXPECT_EQ(header(answer, "Referrer-Policy"), "no-referrer") << what;
  EXPECT_EQ(header(answer, "Strict-Transport-Security"), "max-age=31536000") << what;
  EXPECT_EQ(header(answer, "Cache-Control"), "no-store") << what;
}

// Only the page's routes: what GET / and GET /web/... answer needs no store or session.
class WebServingTest : public ::testing::Test {
 protected:
  void SetUp() override { broker::add_web_routes(router_, broker::web_assets()); }

  Answer call(http::verb method, const std::string& target) {
    broker::RequestContext context;
    context.request.method(method);
    context.request.target(target);
    context.request.version(11);
    Answer answer;
    // Every answer of these routes is synchronous.
    router_.dispatch(std::move(context), [&answer](broker::HttpResponse response) {
      answer.raw = std::move(response);
    });
    answer.status = answer.raw.result_int();
    boost::system::error_code ec;
    answer.body = json::parse(answer.raw.body(), ec);
    return answer;
  }
  Answer get(const std::string& target) { return call(http::verb::get, target); }

  broker::Router router_;
};

// The page's routes next to the API, with page (cookie) sessions.
class WebPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker::add_web_routes(f_.router_, broker::web_assets());
    broker::add_role_routes(f_.router_, *f_.identity_);
  }

  const Headers& bearer(const std::string& user) {
    auto found = bearer_.find(user);
    if (found == bearer_.end()) found = bearer_.emplace(user, f_.sign_in(user)).first;
    return found->second;
  }

  // A page session for `user`: the cookie, and the CSRF token when `with_csrf`.
  Headers cookie_session(const std::string& user, bool with_csrf = true) {
    bearer(user);
    f_.advance(std::chrono::seconds(30));
    auto answer = f_.login(user, std::string(kTestPassword), f_.totp(f_.secrets_.at(user)));
    EXPECT_EQ(answer.status, 200u) << answer.raw.body();
    Headers headers{{"Cookie", std::string(broker::kSessionCookie) + "=" +
                                   std::string(answer.body.at("token").as_string())}};
    if (with_csrf) headers["X-CSRF-Token"] = std::string(answer.body.at("csrf_token").as_string());
    return headers;
  }

  json::object ask() {
    bearer("alice");
    return {{"role", "prod-db-read"},
            {"reason", "migrate orders"},
            {"ticket", "OPS-1"},
            {"duration", "30m"},
            {"mfa", f_.mfa("alice")}};
  }

  std::string new_request() {
    const auto& alice = bearer("alice");
    auto created = f_.post("/v1/requests", ask(), alice);
    EXPECT_EQ(created.status, 201u) << created.raw.body();
    return std::string(created.body.at("id").as_string());
  }

  // A request of alice's approved by carol and dave; returns {request id, grant id}.
  std::pair<std::string, std::string> granted() {
    const auto id = new_request();
    for (const char* approver : {"carol", "dave"}) {
      const auto& headers = bearer(approver);
      auto approved =
          f_.post("/v1/requests/" + id + "/approve", {{"mfa", f_.mfa(approver)}}, headers);
      EXPECT_EQ(approved.status, 200u) << approved.raw.body();
    }
    auto request = f_.get("/v1/requests/" + id, bearer("alice"));
    return {id, std::string(request.body.at("grant").at("id").as_string())};
  }

  AccessFixture f_;
  std::map<std::string, Headers> bearer_;
};

TEST_F(WebServingTest, EveryFileOfTheFolderIsEmbeddedByteForByteWithItsContentType) {
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::directory_iterator(kWebDir)) {
    const auto name = entry.path().filename().string();
    if (name.starts_with('.') || name.ends_with('~')) continue;  // editors' files, not embedded
    on_disk.insert(name);
  }
  std::set<std::string> embedded;
  for (const auto& asset : broker::web_assets()) embedded.insert(std::string(asset.name));
  EXPECT_EQ(embedded, on_disk);
  EXPECT_TRUE(embedded.contains("index.html"));
  EXPECT_TRUE(embedded.contains("app.js"));
  EXPECT_TRUE(embedded.contains("app.css"));

  const std::map<std::string, std::string> types{{".html", "text/html; charset=utf-8"},
                                                 {".js", "text/javascript; charset=utf-8"},
                                                 {".css", "text/css; charset=utf-8"},
                                                 {".svg", "image/svg+xml"}};
  for (const auto& asset : broker::web_assets()) {
    const std::string name(asset.name);
    auto answer = get("/web/" + name);
    ASSERT_EQ(answer.status, 200u) << name;
    EXPECT_EQ(answer.raw.body(), read_text(kWebDir / name)) << name;
    EXPECT_EQ(header(answer, "Content-Type"),
              types.at(std::filesystem::path(name).extension().string()))
        << name;
    expect_security_headers(answer, name);
  }
}

TEST_F(WebServingTest, TheRootIsThePage) {
  auto page = get("/");
  ASSERT_EQ(page.status, 200u);
  EXPECT_EQ(header(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page.raw.body(), read_text(kWebDir / "index.html"));
  expect_security_headers(page, "/");
}

TEST_F(WebServingTest, OnlyTheKnownFileNamesAreRoutes) {
  struct Case {
    std::string target;
    unsigned status;
    std::string code;
  };
  const std::vector<Case> cases{
      {"/web/nope.js", 404, "not_found"},
      {"/web/APP.JS", 404, "not_found"},
      {"/web/", 404, "not_found"},
      {"/web", 404, "not_found"},
      {"/web/app.js/", 404, "not_found"},
      {"/web/app.js.map", 404, "not_found"},
      {"/index.html", 404, "not_found"},
      {"/web/%2e%2e/broker.db", 404, "not_found"},
      {"/web/..%2fbroker.db", 404, "not_found"},
      {"/web/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", 404, "not_found"},
      {"/web/sub/app.js", 404, "not_found"},
      // Dot segments are refused by the router before any route is looked at.
      {"/web/../x", 400, "invalid_path"},
      {"/web/./app.js", 400, "invalid_path"},
      {"/web/../../etc/passwd", 400, "invalid_path"},
      {"/web//app.js", 400, "invalid_path"},
  };
  for (const auto& c : cases) {
    auto answer = get(c.target);
    EXPECT_EQ(answer.status, c.status) << c.target;
    EXPECT_EQ(code_of(answer), c.code) << c.target;
    EXPECT_EQ(header(answer, "Content-Type"), "application/json") << c.target;
    expect_security_headers(answer, c.target);
  }
  // The page is read-only.
  auto post = call(http::verb::post, "/web/app.js");
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(header(post, "Allow"), "GET");
  expect_security_headers(post, "POST /web/app.js");
}

TEST_F(WebPageTest, ApiAnswersCarryTheSameHeadersWhateverTheOutcome) {
  const auto cookie = cookie_session("carol");
  struct Case {
    std::string what;
    unsigned status;
    Answer answer;
  };
  const std::vector<Case> cases{
      {"roles", 200, f_.get("/v1/roles", bearer("alice"))},
      {"session by cookie", 200, f_.get("/v1/session", cookie)},
      {"no session", 401, f_.get("/v1/roles")},
      {"no csrf", 403, f_.post("/v1/requests", ask(), cookie_session("alice", false))},
      {"no such request", 404, f_.get("/v1/requests/req-0/history", bearer("carol"))},
      {"bad filter", 400, f_.get("/v1/grants?approved_by=a%20b", bearer("carol"))},
      {"wrong method", 405, f_.call(http::verb::delete_, "/v1/roles", nullptr, bearer("carol"))},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.answer.status, c.status) << c.what << ": " << c.answer.raw.body();
    EXPECT_EQ(header(c.answer, "Content-Type"), "application/json") << c.what;
    expect_security_headers(c.answer, c.what);
  }
}

TEST_F(WebServingTest, ThePageHasNoInlineScriptStyleOrHandler) {
  const std::string page = lower(read_text(kWebDir / "index.html"));
  const auto tags = tags_of(page);
  int scripts = 0;
  for (const auto& tag : tags) {
    const auto names = attribute_names(tag.text);
    for (const auto& name : names) {
      EXPECT_NE(name, "style") << tag.text;
      EXPECT_FALSE(name.starts_with("on")) << "event handler attribute in " << tag.text;
    }
    EXPECT_FALSE(tag.text.starts_with("<style")) << tag.text;
    for (const char* external : {"src=\"//", "src=\"http", "href=\"//", "href=\"http"}) {
      EXPECT_EQ(tag.text.find(external), std::string::npos) << tag.text;
    }
    if (!tag.text.starts_with("<script")) continue;
    // Every <script> loads a same-origin file and holds nothing itself.
    ++scripts;
    EXPECT_NE(tag.text.find(" src=\"/web/"), std::string::npos) << tag.text;
    EXPECT_EQ(page.compare(tag.end, 9, "</script>"), 0) << "inline script after " << tag.text;
  }
  EXPECT_GE(scripts, 1);
  EXPECT_GT(tags.size(), 50u);  // the scan saw the page
  EXPECT_EQ(page.find("javascript:"), std::string::npos);

  // Data reaches the page as text only: no markup parsing, no code from strings.
  for (const auto& asset : broker::web_assets()) {
    if (!asset.name.ends_with(".js")) continue;
    const std::string code(asset.body);
    for (const char* unsafe :
         {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
          "setTimeout('", "setTimeout(\"", ".style.", "http://", "https://"}) {
      EXPECT_EQ(code.find(unsafe), std::string::npos) << asset.name << " uses " << unsafe;
    }
  }
}

TEST_F(WebServingTest, ThePageHasEveryElementTheBrowserTestsUse) {
  const std::string page = read_text(kWebDir / "index.html");
  for (const char* id : {"login-form",
                         "login-user",
                         "login-password",
                         "login-totp",
                         "login-with-totp",
                         "login-with-passkey",
                         "login-error",
                         "whoami",
                         "logout",
                         "register-passkey",
                         "passkey-status",
                         "tab-queue",
                         "tab-review-due",
                         "tab-approved-grants",
                         "tab-my-requests",
                         "panel-queue",
                         "panel-review-due",
                         "panel-approved-grants",
                         "panel-my-requests",
                         "refresh",
                         "flash",
                         "mfa-dialog",
                         "mfa-use-passkey",
                         "mfa-totp-code",
                         "mfa-submit-totp",
                         "mfa-cancel",
                         "queue-list",
                         "request-detail",
                         "detail-state",
                         "detail-reason",
                         "detail-history",
                         "review-comment",
                         "approve",
                         "deny",
                         "review-due-list",
                         "approved-grants-list",
                         "new-request-form",
                         "new-role",
                         "new-reason",
                         "new-ticket",
                         "new-duration",
                         "new-submit",
                         "my-requests-list",
                         "tab-passkeys",
                         "panel-passkeys",
                         "passkeys-list",
                         "passkeys-empty",
                         "passkeys-register",
                         "sso-signin",
                         "sso-providers"}) {
    const std::string attribute = "id=\"" + std::string(id) + "\"";
    const auto first = page.find(attribute);
    EXPECT_NE(first, std::string::npos) << id;
    EXPECT_EQ(page.find(attribute, first + 1), std::string::npos) << id << " appears twice";
  }
}

TEST_F(WebPageTest, EveryStateChangingCallOfThePageNeedsTheCsrfToken) {
  const auto [request_id, grant_id] = granted();
  const auto pending = new_request();
  const std::vector<std::pair<std::string, json::value>> calls{
      {"/v1/logout", json::object{}},
      {"/v1/webauthn/register/begin", json::object{}},
      {"/v1/webauthn/register/finish", json::object{}},
      {"/v1/webauthn/presence/begin", json::object{}},
      {"/v1/requests", ask()},
      {"/v1/requests/" + pending + "/approve", json::object{}},
      {"/v1/requests/" + pending + "/deny", json::object{}},
      {"/v1/requests/" + request_id + "/review", json::object{}},
      {"/v1/requests/" + pending + "/webauthn/begin", json::object{}},
      {"/v1/requests/" + pending + "/cancel", json::object{}},
      {"/v1/grants/" + grant_id + "/revoke", json::object{{"reason", "x"}}},
      {"/v1/grants/" + grant_id + "/ssh-cert", json::object{{"public_key", "x"}}},
  };
  auto no_token = cookie_session("carol", false);
  auto wrong_token = no_token;
  wrong_token["X-CSRF-Token"] = std::string(43, 'A');
  for (const auto& [target, body] : calls) {
    for (const auto* headers : {&no_token, &wrong_token}) {
      auto answer = f_.post(target, body, *headers);
      EXPECT_EQ(answer.status, 403u) << target;
      EXPECT_EQ(code_of(answer), "permission_denied") << target;
    }
  }
  // Removing a passkey is state-changing too: refused without the token before anything else.
  for (const auto* headers : {&no_token, &wrong_token}) {
    const json::value body = json::object{};
    auto answer = f_.call(http::verb::delete_, "/v1/webauthn/credentials/AAAA", &body, *headers);
    EXPECT_EQ(answer.status, 403u);
    EXPECT_EQ(code_of(answer), "permission_denied");
  }
  // Nothing changed: the request is still pending, the grant still active.
  auto still = f_.get("/v1/requests/" + pending, bearer("alice"));
  EXPECT_EQ(still.body.at("state").as_string(), "pending");
  EXPECT_EQ(f_.get("/v1/grants/" + grant_id, bearer("alice")).body.at("state").as_string(),
            "active");
  // With the token the same cookie works, and reads never needed it.
  auto with_token = cookie_session("carol");
  EXPECT_EQ(f_.get("/v1/requests/" + pending, no_token).status, 200u);
  const json::value decision = {{"decision", "approve"}};
  auto begin = f_.call(http::verb::post, "/v1/requests/" + pending + "/webauthn/begin", &decision,
                       with_token);
  EXPECT_EQ(begin.status, 200u) << begin.raw.body();
}

}  // namespace
}  // namespace jit::broker
