#include "tests/support/test_identity_provider.hpp"

#include "broker/client/http_client.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/files.hpp"

#include <csignal>
#include <filesystem>
#include <map>
#include <stdexcept>

namespace jit::testing {
namespace {

const std::filesystem::path kSsoTestFolder = std::filesystem::path(JIT_SOURCE_DIR) / "tests/sso";

// The value of the Location header, or "" when there is none.
std::string location_of(const broker::ClientResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "Location" || name == "location") return value;
  }
  return {};
}

// A cookie jar as small as the provider's login needs: every name=value it sets, sent back on
// every request (all requests go to the one provider).
class IdpCookies {
 public:
  void take(const broker::ClientResponse& response) {
    for (const auto& [name, value] : response.headers) {
      if (name != "Set-Cookie" && name != "set-cookie") continue;
      const auto pair = value.substr(0, value.find(';'));
      const auto equals = pair.find('=');
      if (equals == std::string::npos) continue;
      cookies_[pair.substr(0, equals)] = pair.substr(equals + 1);
    }
  }
  std::string header() const {
    std::string header;
    for (const auto& [name, value] : cookies_) {
      if (!header.empty()) header += "; ";
      header += name + "=" + value;
    }
    return header;
  }

 private:
  std::map<std::string, std::string> cookies_;
};

}  // namespace

TestIdentityProvider::TestIdentityProvider(const std::string& users_json) {
  const auto [setup_code, setup_out, setup_err] =
      ChildProcess::run({"/bin/bash", (kSsoTestFolder / "setup.sh").string()}, dir_.path());
  if (setup_code != 0) throw std::runtime_error("tests/sso/setup.sh failed: " + setup_err);
  // One self-signed certificate for 127.0.0.1: it is its own trust anchor for the broker.
  const auto [code, out, err] = ChildProcess::run(
      {kOpensslBinary, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-subj", "/CN=test-idp", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
       "-days", "2", "-keyout", (dir_ / "idp.key").string(), "-out", ca_file().string()},
      dir_.path());
  if (code != 0) throw std::runtime_error("openssl req failed: " + err);
  write_text(client_secret_file(), "test-client-secret-" + std::to_string(::getpid()) + "\n");
  std::filesystem::permissions(client_secret_file(), std::filesystem::perms::owner_read |
                                                         std::filesystem::perms::owner_write);
  set_users(users_json);
  // Rarely (about one start in thirty on a loaded machine) node stalls before listening: the
  // stalled one is killed and a second one started.
  try {
    start(0);
  } catch (const std::runtime_error&) {
    start(0);
  }
}

TestIdentityProvider::~TestIdentityProvider() = default;

void TestIdentityProvider::set_users(const std::string& users_json) {
  // Written beside and renamed, so the provider never reads half a file.
  write_text(dir_ / "users.json.new", users_json);
  std::filesystem::rename(dir_ / "users.json.new", dir_ / "users.json");
}

void TestIdentityProvider::start(unsigned short port) {
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/node", (kSsoTestFolder / "test_idp.js").string(), "--cert",
                               ca_file().string(), "--key", (dir_ / "idp.key").string(), "--users",
                               (dir_ / "users.json").string(), "--client-id", kClientId,
                               "--client-secret-file", client_secret_file().string(), "--port",
                               std::to_string(port)},
      dir_.path());  // node finds oidc-provider beside the script, whatever the work folder
  if (!process_->wait_for_output("\n", std::chrono::seconds(15))) {
    const auto why = process_->err();
    process_->signal(SIGKILL);
    throw std::runtime_error("test_idp.js did not start: " + why);
  }
  const auto out = process_->out();
  const auto at = out.find("listening ");
  if (at == std::string::npos) {
    throw std::runtime_error("test_idp.js said: " + out + process_->err());
  }
  port_ = static_cast<unsigned short>(std::stoi(out.substr(at + 10)));
  issuer_ = "https://127.0.0.1:" + std::to_string(port_);
}

void TestIdentityProvider::stop() {
  if (!process_) return;
  process_->signal(SIGTERM);
  if (!process_->wait(std::chrono::seconds(10))) {
    process_->signal(SIGKILL);
    process_->wait(std::chrono::seconds(5));
  }
  process_.reset();
}

void TestIdentityProvider::restart() {
  stop();
  // As in the constructor: a second try when the first stalls.
  try {
    start(port_);
  } catch (const std::runtime_error&) {
    start(port_);
  }
}

void TestIdentityProvider::control(const std::string& change_json) const {
  broker::ClientRequest request;
  request.method = boost::beast::http::verb::post;
  request.url = *broker::parse_url(issuer_ + "/test-control");
  request.body = change_json;
  request.content_type = "application/json";
  const auto secret = read_text(client_secret_file());
  request.headers.emplace_back("Authorization", "Bearer " + secret.substr(0, secret.find('\n')));
  auto response = broker::fetch({ca_file()}, std::move(request));
  if (!response || response->status != 200) {
    throw std::runtime_error("test_idp.js refused the control " + change_json + ": " +
                             (response ? response->body : response.error().message()));
  }
}

namespace {

// One browser at the provider: its cookies, and each answer's status, body and Location (made
// absolute).
class IdpBrowser {
 public:
  IdpBrowser(const std::filesystem::path& ca_file, std::string issuer)
      : tls_{ca_file}, issuer_(std::move(issuer)) {}

  struct Page {
    unsigned status = 0;
    std::string body;
    std::string location;
  };

  Page go(boost::beast::http::verb method, const std::string& url, std::string form = {}) {
    auto parsed = broker::parse_url(url);
    if (!parsed) throw std::runtime_error("not a URL: " + url);
    broker::ClientRequest request;
    request.method = method;
    request.url = *parsed;
    request.body = std::move(form);
    request.content_type = "application/x-www-form-urlencoded";
    if (const auto cookie = cookies_.header(); !cookie.empty())
      request.headers.emplace_back("Cookie", cookie);
    auto response = broker::fetch(tls_, std::move(request));
    if (!response) throw std::runtime_error("provider unreachable: " + response.error().message());
    cookies_.take(*response);
    auto next = location_of(*response);
    if (next.starts_with("/")) next = issuer_ + next;
    return {response->status, std::move(response->body), std::move(next)};
  }

  // Like go(), but the answer must be a redirect: returns where to.
  std::string redirect(boost::beast::http::verb method, const std::string& url,
                       std::string form = {}) {
    auto page = go(method, url, std::move(form));
    if (page.status / 100 != 3 || page.location.empty()) {
      throw std::runtime_error("provider answered " + std::to_string(page.status) + ": " +
                               page.body);
    }
    return page.location;
  }

 private:
  broker::ClientTlsOptions tls_;
  std::string issuer_;
  IdpCookies cookies_;
};

// The value of the hidden form field `name` in an oidc-provider page ("" when absent).
std::string hidden_field(const std::string& html, const std::string& name) {
  const std::string marker = "name=\"" + name + "\" value=\"";
  const auto at = html.find(marker);
  if (at == std::string::npos) return {};
  const auto start = at + marker.size();
  return html.substr(start, html.find('"', start) - start);
}

}  // namespace

std::string TestIdentityProvider::sign_in(const std::string& authorization_url,
                                          const std::string& login, const std::string& amr) const {
  IdpBrowser browser(ca_file(), issuer_);
  using boost::beast::http::verb;
  // authorize -> login page -> (form) -> resume -> the client's redirect URI.
  const auto interaction = browser.redirect(verb::get, authorization_url);
  const auto resume =
      browser.redirect(verb::post, interaction + "/login", "login=" + login + "&amr=" + amr);
  return browser.redirect(verb::get, resume);
}

std::string TestIdentityProvider::sign_in_device(const std::string& verification_uri,
                                                 const std::string& user_code,
                                                 const std::string& login,
                                                 const std::string& amr) const {
  IdpBrowser browser(ca_file(), issuer_);
  using boost::beast::http::verb;
  // The user code form, then its confirmation page, each with the provider's xsrf field.
  const auto entry = browser.go(verb::get, verification_uri);
  const auto xsrf = hidden_field(entry.body, "xsrf");
  if (entry.status != 200 || xsrf.empty())
    throw std::runtime_error("no user code form: " + entry.body);
  const auto confirm =
      browser.go(verb::post, verification_uri, "xsrf=" + xsrf + "&user_code=" + user_code);
  const auto confirm_xsrf = hidden_field(confirm.body, "xsrf");
  if (confirm.status != 200 || hidden_field(confirm.body, "confirm") != "yes")
    throw std::runtime_error("no confirm form for " + user_code + ": " + confirm.body);
  const auto interaction =
      browser.redirect(verb::post, verification_uri,
                       "xsrf=" + confirm_xsrf + "&user_code=" + user_code + "&confirm=yes");
  const auto resume =
      browser.redirect(verb::post, interaction + "/login", "login=" + login + "&amr=" + amr);
  const auto done = browser.go(verb::get, resume);
  if (done.status != 200) {
    throw std::runtime_error("provider answered " + std::to_string(done.status) + ": " + done.body);
  }
  return done.body;
}

}  // namespace jit::testing
