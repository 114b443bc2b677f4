// The issue's proof, end to end with real processes: `jit-broker serve` on 127.0.0.1, a real sshd
// that trusts the broker's SSH CA and reads the KRL that `jit-broker krl write` produces, and a
// real nginx that checks the broker's X.509 client certificates against its chain and CRLs.
// alice asks for prod-db-read, carol and dave approve, alice logs in over SSH, the grant is
// revoked and the same certificate is refused; a one-minute grant expires on its own; erin uses
// break-glass and frank the auditor sees the open review.
#include "approvals/totp.hpp"
#include "broker/client/http_client.hpp"
#include "tests/support/broker_process.hpp"
#include "tests/support/files.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/ssh_process.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace jit::broker {
namespace {

using testing::kBrokerBinary;
using testing::kJitBinary;

namespace json = boost::json;
namespace http = boost::beast::http;
using jit::testing::ChildProcess;
using jit::testing::read_text;
using jit::testing::write_text;
using namespace std::chrono_literals;

// Every user's password: 12 characters or more and no user's name (approvals/password_rules.hpp).
constexpr std::string_view kPassword = testing::kTestPassword;

std::string current_user() {
  auto result = testing::run_process({"/usr/bin/id", "-un"});
  auto name = result.out;
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  return name;
}

class AccessFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() == 0 && !std::filesystem::exists("/run/sshd")) {
      std::filesystem::create_directories("/run/sshd");
    }
    // The test policy (the broker's folder has it already), and webhooks to the receiver.
    broker_.write_config(testing::BrokerConfig{
        "127.0.0.1:0", "data",
        "webhooks:\n  urls: [\"http://127.0.0.1:" + std::to_string(webhooks_.port()) +
            "/hook\"]\n"});
    for (const char* user : {"alice", "bob", "carol", "dave", "erin", "frank"}) enroll(user);
    start_broker();
  }

  void enroll(const std::string& user) { secrets_[user] = broker_.enroll(user); }

  void start_broker() {
    broker_.launch();
    ASSERT_TRUE(broker_.wait_listening(20s)) << broker_.errors();
    port_ = broker_.port();
  }

  std::string config() const { return broker_.config_file(); }

  // A TOTP code each user has not used yet: codes are single-use per 30 s step, and the broker
  // accepts the next step too, so this waits only when a user needs a third code within a step.
  std::string code(const std::string& user) {
    const auto step_of = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count() /
             30;
    };
    auto step = std::max(step_of(), last_step_[user] + 1);
    while (step > step_of() + 1) std::this_thread::sleep_for(500ms);
    last_step_[user] = step;
    return *approvals::totp_code(secrets_.at(user),
                                 std::chrono::sys_seconds(std::chrono::seconds(step * 30)));
  }

  ClientResponse call(http::verb method, const std::string& target, const std::string& user,
                      const json::object* body = nullptr) {
    ClientRequest request;
    request.method = method;
    request.url = *parse_url("https://localhost:" + std::to_string(port_) + target);
    if (body != nullptr) request.body = json::serialize(*body);
    if (!user.empty()) request.headers.push_back({"Authorization", "Bearer " + tokens_[user]});
    auto answer = fetch({dir_ / "data" / "tls" / "server.crt"}, request);
    EXPECT_TRUE(answer) << target << ": " << answer.error().message();
    return answer ? *answer : ClientResponse{};
  }
  json::value post(const std::string& target, const std::string& user, json::object body,
                   unsigned expected_status) {
    auto answer = call(http::verb::post, target, user, &body);
    EXPECT_EQ(answer.status, expected_status) << target << " as " << user << ": " << answer.body;
    return json::parse(answer.body);
  }
  json::value get(const std::string& target, const std::string& user) {
    auto answer = call(http::verb::get, target, user);
    EXPECT_EQ(answer.status, 200u) << target << ": " << answer.body;
    return json::parse(answer.body);
  }

  void login(const std::string& user) {
    auto answer = post(
        "/v1/login", "",
        {{"user", user}, {"password", std::string(kPassword)}, {"mfa", {{"totp", code(user)}}}},
        200);
    tokens_[user] = std::string(answer.at("token").as_string());
  }

  std::string approved_request(const std::string& duration) {
    auto created = post("/v1/requests", "alice",
                        {{"role", "prod-db-read"},
                         {"reason", "migrate orders"},
                         {"ticket", "OPS-1"},
                         {"duration", duration}},
                        201);
    const std::string id(created.at("id").as_string());
    for (const char* approver : {"carol", "dave"}) {
      post("/v1/requests/" + id + "/approve", approver, {{"mfa", {{"totp", code(approver)}}}}, 200);
    }
    return id;
  }

  // Mints an SSH certificate for a new key of alice; returns the private key's path.
  std::filesystem::path mint_ssh(const std::string& grant, const std::string& name) {
    auto key = testing::ssh_keygen_new_key(dir_, name, {"-t", "ed25519"});
    auto minted = post("/v1/grants/" + grant + "/ssh-cert", "alice",
                       {{"public_key", read_text(key.string() + ".pub")}}, 201);
    write_text(key.string() + "-cert.pub",
               std::string(minted.at("certificate").as_string()) + "\n");
    return key;
  }

  void start_sshd() {
    const auto d = dir_;
    testing::ssh_keygen_new_key(d, "host_key", {"-t", "ed25519"});
    write_text(d / "trusted_ca_keys", std::string(get_text("/v1/ca/ssh")));
    // The login account accepts certificates carrying the `dbread` principal.
    write_text(d / "principals", "dbread\n");
    write_krl();
    sshd_port_ = testing::free_loopback_port();
    write_text(d / "sshd_config",
               "ListenAddress 127.0.0.1\nPort " + std::to_string(sshd_port_) + "\nHostKey " +
                   (d / "host_key").string() + "\nPidFile " + (d / "sshd.pid").string() +
                   "\nTrustedUserCAKeys " + (d / "trusted_ca_keys").string() + "\nRevokedKeys " +
                   (d / "revoked.krl").string() + "\nAuthorizedPrincipalsFile " +
                   (d / "principals").string() +
                   "\nAuthorizedKeysFile none\nPasswordAuthentication no\n"
                   "KbdInteractiveAuthentication no\nPermitRootLogin yes\nUsePAM yes\n"
                   "StrictModes no\nUseDNS no\nPrintMotd no\nLogLevel VERBOSE\n");
    sshd_ = std::make_unique<testing::SshdGuard>(d / "sshd_config", d / "sshd.log", sshd_port_);
  }

  std::string get_text(const std::string& target) {
    auto answer = call(http::verb::get, target, "");
    EXPECT_EQ(answer.status, 200u);
    return answer.body;
  }

  void write_krl() {
    auto [code, out, err] = ChildProcess::run(
        {kBrokerBinary, "--config", config(), "krl", "write", (dir_ / "revoked.krl").string()},
        dir_);
    ASSERT_EQ(code, 0) << err;
  }

  testing::ProcessResult ssh(const std::filesystem::path& key) {
    return testing::run_process({"/usr/bin/ssh",
                                 "-F",
                                 "/dev/null",
                                 "-i",
                                 key.string(),
                                 "-o",
                                 "IdentitiesOnly=yes",
                                 "-o",
                                 "StrictHostKeyChecking=no",
                                 "-o",
                                 "UserKnownHostsFile=/dev/null",
                                 "-o",
                                 "BatchMode=yes",
                                 "-o",
                                 "ConnectTimeout=10",
                                 "-o",
                                 "LogLevel=ERROR",
                                 "-p",
                                 std::to_string(sshd_port_),
                                 current_user() + "@127.0.0.1",
                                 "echo logged-in-as-$(id -un)"});
  }

  // `jit ARGS` as `user`, each user with their own profile folder.
  std::tuple<int, std::string, std::string> jit(const std::string& user,
                                                std::vector<std::string> args,
                                                const std::string& stdin_text = {}) {
    args.insert(args.begin(), kJitBinary);
    const auto profile = dir_ / ("jit-" + user);
    std::filesystem::create_directories(profile);
    return ChildProcess::run(args, dir_, {"JIT_CONFIG_DIR=" + profile.string()}, stdin_text);
  }

  void jit_login(const std::string& user) {
    auto [code, out, err] =
        jit(user,
            {"--broker", "https://localhost:" + std::to_string(port_), "--ca-file",
             (dir_ / "data" / "tls" / "server.crt").string(), "login", "--user", user,
             "--password-stdin", "--totp", this->code(user)},
            std::string(kPassword) + "\n");
    ASSERT_EQ(code, 0) << out << err;
  }

  // The events the broker posted, in order of arrival.
  std::vector<std::string> webhook_events() {
    std::vector<std::string> events;
    for (const auto& body : webhooks_.bodies()) {
      events.emplace_back(json::parse(body).at("event").as_string());
    }
    return events;
  }

  jit::testing::HttpReceiver webhooks_{{200}};
  testing::BrokerProcess broker_;
  const std::filesystem::path& dir_ = broker_.dir();  // the broker's folder: files, data/, cwd
  std::map<std::string, ca::Bytes> secrets_;
  std::map<std::string, std::int64_t> last_step_;
  std::map<std::string, std::string> tokens_;
  int port_ = 0;
  int sshd_port_ = 0;
  std::unique_ptr<testing::SshdGuard> sshd_;  // stopped before dir_ goes
};

TEST_F(AccessFlowTest, FromRequestToSshLoginAndBackOut) {
  for (const char* user : {"alice", "bob", "carol", "dave", "erin", "frank"}) login(user);
  start_sshd();

  // The short grant first, so that its minute runs while the rest of the story happens.
  const auto short_id = approved_request("1m");
  const std::string short_grant(
      get("/v1/requests/" + short_id, "alice").at("grant").at("id").as_string());
  const auto short_key = mint_ssh(short_grant, "short_key");
  EXPECT_EQ(ssh(short_key).exit_code, 0);  // usable now

  // The main story through the `jit` command line.
  for (const char* user : {"alice", "bob", "carol", "dave"}) jit_login(user);
  auto [request_code, request_out, request_err] =
      jit("alice", {"request", "prod-db-read", "--reason", "migrate orders", "--ticket", "OPS-2",
                    "--duration", "30m"});
  ASSERT_EQ(request_code, 0) << request_err;
  const std::string id = request_out.substr(0, request_out.find('\n'));
  ASSERT_TRUE(id.starts_with("req-")) << request_out;
  auto [own_code, own_out, own_err] =
      jit("alice", {"approve", id, "--totp", code("alice"), "--yes"});
  EXPECT_NE(own_code, 0);
  EXPECT_NE(own_err.find("self_review"), std::string::npos) << own_err;
  auto [first_code, first_out, first_err] =
      jit("carol", {"approve", id, "--totp", code("carol"), "--yes"});
  EXPECT_EQ(first_code, 0) << first_err;
  EXPECT_EQ(get("/v1/requests/" + id, "alice").at("state").as_string(), "pending");
  auto [bob_code, bob_out, bob_err] = jit("bob", {"approve", id, "--totp", code("bob"), "--yes"});
  // `jit approve` shows the request before deciding; bob may not even see it.
  EXPECT_NE(bob_code, 0);
  EXPECT_NE(bob_err.find("not_found"), std::string::npos) << bob_err;
  auto [second_code, second_out, second_err] =
      jit("dave", {"approve", id, "--totp", code("dave"), "--yes"});
  EXPECT_EQ(second_code, 0) << second_err;
  auto [wait_code, wait_out, wait_err] = jit("alice", {"wait", id, "--timeout", "30s"});
  ASSERT_EQ(wait_code, 0) << wait_err;
  auto request = get("/v1/requests/" + id, "alice");
  ASSERT_EQ(request.at("state").as_string(), "active");
  const std::string grant(request.at("grant").at("id").as_string());
  EXPECT_NE(wait_out.find(grant), std::string::npos) << wait_out;

  const auto ssh_dir = dir_ / "alice-ssh";
  auto [cert_code, cert_out, cert_err] =
      jit("alice", {"ssh-cert", grant, "--dir", ssh_dir.string(), "--no-agent"});
  ASSERT_EQ(cert_code, 0) << cert_err;
  EXPECT_NE(cert_out.find("ssh -i"), std::string::npos) << cert_out;
  const auto key = ssh_dir / ("jit-" + grant);
  auto login = ssh(key);
  EXPECT_EQ(login.exit_code, 0) << login.err << read_text(dir_ / "sshd.log");
  EXPECT_NE(login.out.find("logged-in-as-"), std::string::npos);

  auto [revoke_code, revoke_out, revoke_err] =
      jit("carol", {"revoke", grant, "--reason", "done early"});
  EXPECT_EQ(revoke_code, 0) << revoke_err;
  EXPECT_EQ(get("/v1/grants/" + grant, "alice").at("state").as_string(), "revoked");
  // Until the host pulls the new KRL, sshd still accepts the certificate (it has not expired).
  EXPECT_EQ(ssh(key).exit_code, 0);
  write_krl();
  auto refused = ssh(key);
  EXPECT_NE(refused.exit_code, 0) << refused.out;

  // Break-glass: no approvals, active at once, flagged, and the auditor sees the open review.
  auto glass = post("/v1/breakglass", "erin",
                    {{"role", "prod-db-read"},
                     {"incident", "INC-42"},
                     {"reason", "primary down"},
                     {"mfa", {{"totp", code("erin")}}}},
                    201);
  EXPECT_EQ(glass.at("state").as_string(), "active");
  EXPECT_TRUE(glass.at("breakglass").as_bool());
  auto due = get("/v1/requests?state=review_due", "frank");
  ASSERT_EQ(due.at("requests").as_array().size(), 1u);
  EXPECT_EQ(due.at("requests").as_array()[0].at("id"), glass.at("id"));
  auto metrics = get_text("/metrics");
  EXPECT_NE(metrics.find("jit_breakglass_reviews_open 1"), std::string::npos) << metrics;

  // The one-minute grant: expired by the sweeper within a second of its end.
  const auto not_after =
      get("/v1/grants/" + short_grant, "alice").at("not_after").to_number<std::int64_t>();
  while (std::chrono::system_clock::now() <
         std::chrono::system_clock::time_point(std::chrono::seconds(not_after + 1))) {
    std::this_thread::sleep_for(200ms);
  }
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(get("/v1/grants/" + short_grant, "alice").at("state").as_string(), "expired");
  EXPECT_NE(ssh(short_key).exit_code, 0);

  // `user lock` beside the running broker ends erin's break-glass grant at once.
  auto [lock_code, lock_out, lock_err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "user", "lock", "erin"}, dir_);
  EXPECT_EQ(lock_code, 0) << lock_err;
  EXPECT_NE(lock_out.find("1 active grant(s) revoked"), std::string::npos) << lock_out;
  EXPECT_EQ(get("/v1/requests/" + std::string(glass.at("id").as_string()), "frank")
                .at("grant")
                .at("state")
                .as_string(),
            "revoked");

  // Webhooks went out for every step, without holding up the calls that caused them.
  const auto events = webhook_events();
  for (const char* event :
       {"request.created", "request.approved", "grant.revoked", "breakglass", "grant.expired"}) {
    EXPECT_NE(std::find(events.begin(), events.end(), event), events.end()) << event;
  }
  // Each event once, with its own id in the body and the header.
  std::set<std::string> ids;
  for (const auto& request : webhooks_.requests()) {
    EXPECT_EQ(json::parse(request.body).at("id").as_string(), request.headers.at("x-jit-event-id"));
    ids.insert(request.headers.at("x-jit-event-id"));
  }
  EXPECT_EQ(ids.size(), events.size());

  broker_.process().signal(SIGTERM);
  EXPECT_EQ(broker_.process().wait(15s), 0);
  auto [code_verify, out, err] =
      ChildProcess::run({kBrokerBinary, "--config", config(), "audit", "verify"}, dir_);
  EXPECT_EQ(code_verify, 0) << err << out;
}

// Issue 21: `jit ssh` from nothing (no grant, no key) to a command run on a real sshd, in one
// command; the approvers approve through the API while it waits.
TEST_F(AccessFlowTest, JitSshRequestsWaitsMintsAndRunsTheCommandInOneGo) {
  for (const char* user : {"carol", "dave"}) login(user);
  jit_login("alice");
  start_sshd();
  const auto keys = dir_ / "alice-keys";
  // The host's account accepts the role's principal `dbread` (AuthorizedPrincipalsFile), so the
  // role is named: no role logs in as the test's own user.
  const std::vector<std::string> ssh_args = {kJitBinary,
                                             "ssh",
                                             "--role",
                                             "prod-db-read",
                                             "--reason",
                                             "check replica lag",
                                             "--ticket",
                                             "OPS-3",
                                             "--dir",
                                             keys.string(),
                                             current_user() + "@127.0.0.1",
                                             "-p",
                                             std::to_string(sshd_port_),
                                             "-o",
                                             "StrictHostKeyChecking=no",
                                             "-o",
                                             "UserKnownHostsFile=/dev/null",
                                             "-o",
                                             "BatchMode=yes",
                                             "-o",
                                             "LogLevel=ERROR",
                                             "--",
                                             "echo",
                                             "ran-as-$(id -un)"};
  const std::vector<std::string> env = {"JIT_CONFIG_DIR=" + (dir_ / "jit-alice").string()};
  ChildProcess first(ssh_args, dir_, env);
  std::string id;
  for (int i = 0; i < 200 && id.empty(); ++i) {
    const auto pending = get("/v1/requests?state=pending", "carol").at("requests").as_array();
    if (!pending.empty()) {
      id = std::string(pending[0].at("id").as_string());
    } else {
      std::this_thread::sleep_for(100ms);
    }
  }
  ASSERT_FALSE(id.empty()) << first.err();
  for (const char* approver : {"carol", "dave"}) {
    post("/v1/requests/" + id + "/approve", approver, {{"mfa", {{"totp", code(approver)}}}}, 200);
  }
  ASSERT_EQ(first.wait(60s), 0) << first.err() << read_text(dir_ / "sshd.log");
  EXPECT_EQ(first.out(), "ran-as-" + current_user() + "\n");
  EXPECT_NE(first.err().find("waiting for approval"), std::string::npos) << first.err();

  // Again: the active grant and its certificate are reused, nothing new is asked for.
  auto [again_code, again_out, again_err] = ChildProcess::run(ssh_args, dir_, env);
  EXPECT_EQ(again_code, 0) << again_err;
  EXPECT_EQ(again_out, "ran-as-" + current_user() + "\n");
  EXPECT_NE(again_err.find("using your active grant"), std::string::npos) << again_err;
  EXPECT_NE(again_err.find("using the certificate in"), std::string::npos) << again_err;
  EXPECT_EQ(get("/v1/requests", "carol").at("requests").as_array().size(), 1u);  // no second
}

constexpr const char* kNginxConfig = R"(daemon off;
master_process off;
worker_processes 1;
pid @DIR@/nginx.pid;
error_log @DIR@/nginx-error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path @DIR@/tmp;
  proxy_temp_path @DIR@/tmp;
  fastcgi_temp_path @DIR@/tmp;
  uwsgi_temp_path @DIR@/tmp;
  scgi_temp_path @DIR@/tmp;
  server {
    listen 127.0.0.1:@PORT@ ssl;
    ssl_certificate @DIR@/data/tls/server.crt;
    ssl_certificate_key @DIR@/data/tls/server.key;
    ssl_client_certificate @DIR@/client-ca.pem;
    ssl_verify_client on;
    ssl_verify_depth 2;
    ssl_crl @DIR@/crl.pem;
    location / { default_type text/plain; return 200 "$ssl_client_s_dn\n"; }
  }
}
)";

TEST_F(AccessFlowTest, X509CertificateFromAGrantPassesNginxUntilRevoked) {
  if (!std::filesystem::exists("/usr/sbin/nginx")) GTEST_SKIP() << "nginx-light is not installed";
  for (const char* user : {"alice", "carol", "dave"}) login(user);
  const auto id = approved_request("30m");
  const std::string grant(get("/v1/requests/" + id, "alice").at("grant").at("id").as_string());

  const auto d = dir_;
  auto [key_code, key_out, key_err] = ChildProcess::run(
      {"/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", (d / "client.key").string(), "-subj", "/CN=ignored", "-out",
       (d / "client.csr").string()},
      d);
  ASSERT_EQ(key_code, 0) << key_err;
  auto minted = post("/v1/grants/" + grant + "/x509-cert", "alice",
                     {{"csr", read_text(d / "client.csr")}}, 201);
  write_text(d / "client.crt", std::string(minted.at("certificate").as_string()));

  write_text(d / "client-ca.pem", get_text("/v1/ca/x509"));
  write_text(d / "crl.pem", get_text("/v1/ca/x509/crl?format=pem-bundle"));
  std::filesystem::create_directories(d / "tmp");
  const int port = testing::free_loopback_port();
  std::string config = kNginxConfig;
  for (auto [from, to] : {std::pair<std::string, std::string>{"@DIR@", d.string()},
                          {"@PORT@", std::to_string(port)}}) {
    for (auto at = config.find(from); at != std::string::npos; at = config.find(from, at)) {
      config.replace(at, from.size(), to);
    }
  }
  write_text(d / "nginx.conf", config);
  auto curl = [&] {
    return testing::run_process({"/usr/bin/curl", "-sS", "--max-time", "10", "--cacert",
                                 (d / "data" / "tls" / "server.crt").string(), "--cert",
                                 (d / "client.crt").string(), "--key", (d / "client.key").string(),
                                 "-w", "\n%{http_code}",
                                 "https://localhost:" + std::to_string(port) + "/"});
  };
  auto run_nginx = [&] {
    auto nginx = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/sbin/nginx", "-p", d.string(), "-c",
                                 (d / "nginx.conf").string(), "-e",
                                 (d / "nginx-error.log").string()},
        d);
    for (int i = 0; i < 100 && curl().exit_code == 7; ++i) std::this_thread::sleep_for(100ms);
    return nginx;
  };
  {
    auto nginx = run_nginx();
    auto accepted = curl();
    EXPECT_NE(accepted.out.find("CN=alice"), std::string::npos) << accepted.out << accepted.err;
    EXPECT_TRUE(accepted.out.ends_with("200")) << accepted.out;
    nginx->signal(SIGTERM);
    nginx->wait(10s);
  }

  post("/v1/grants/" + grant + "/revoke", "alice", {{"reason", "finished"}}, 200);
  // The publisher rebuilds the CRL after the revocation commits.
  std::string crl;
  for (int i = 0; i < 50; ++i) {
    crl = get_text("/v1/ca/x509/crl?format=pem-bundle");
    if (crl != read_text(d / "crl.pem")) break;
    std::this_thread::sleep_for(100ms);
  }
  write_text(d / "crl.pem", crl);
  auto nginx = run_nginx();
  auto refused = curl();
  EXPECT_FALSE(refused.out.ends_with("200")) << refused.out;
  EXPECT_NE(read_text(d / "nginx-error.log").find("revoked"), std::string::npos);
  nginx->signal(SIGTERM);
  nginx->wait(10s);
}

}  // namespace
}  // namespace jit::broker
