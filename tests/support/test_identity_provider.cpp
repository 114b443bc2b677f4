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

void TestIdentityProvider::restart() {
  process_->signal(SIGTERM);
  if (!process_->wait(std::chrono::seconds(10))) {
    process_->signal(SIGKILL);
    process_->wait(std::chrono::seconds(5));
  }
  // As in the constructor: a second try when the first stalls.
  try {
    start(port_);
  } catch (const std::runtime_error&) {
    start(port_);
  }
}

std::string TestIdentityProvider::sign_in(const std::string& authorization_url,
                                          const std::string& login, const std::string& amr) const {
  const broker::ClientTlsOptions tls{ca_file()};
  IdpCookies cookies;
  const auto step = [&](boost::beast::http::verb method, const std::string& url,
                        std::string form) -> std::string {
    auto parsed = broker::parse_url(url);
    if (!parsed) throw std::runtime_error("not a URL: " + url);
    broker::ClientRequest request;
    request.method = method;
    request.url = *parsed;
    request.body = std::move(form);
    request.content_type = "application/x-www-form-urlencoded";
    if (const auto cookie = cookies.header(); !cookie.empty())
      request.headers.emplace_back("Cookie", cookie);
    auto response = broker::fetch(tls, std::move(request));
    if (!response) throw std::runtime_error("provider unreachable: " + response.error().message());
    cookies.take(*response);
    const auto next = location_of(*response);
    if (response->status / 100 != 3 || next.empty()) {
      throw std::runtime_error("provider answered " + std::to_string(response->status) + ": " +
                               response->body);
    }
    return next.starts_with("/") ? issuer_ + next : next;
  };
  // authorize -> login page -> (form) -> resume -> the client's redirect URI.
  const auto interaction = step(boost::beast::http::verb::get, authorization_url, {});
  const auto resume = step(boost::beast::http::verb::post, interaction + "/login",
                           "login=" + login + "&amr=" + amr);
  return step(boost::beast::http::verb::get, resume, {});
}

}  // namespace jit::testing
