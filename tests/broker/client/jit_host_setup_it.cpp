// `jit host-setup` and `jit host-refresh` with real processes: a `jit-broker serve`, the shipped
// `jit`, a real sshd configured with exactly the lines `host-setup` prints, `openssl verify` with
// the CA and CRL files it writes, and the refresh run as the generated systemd unit runs it. A
// revoked certificate works until the refresh and is refused after it; an unchanged list costs a
// 304 and leaves the file alone; a broker answering 500 or garbage leaves the file alone too.
#include "broker/http/json_response.hpp"
#include "tests/support/files.hpp"
#include "tests/support/http_test_server.hpp"
#include "tests/support/running_broker.hpp"
#include "tests/support/ssh_process.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <sstream>

namespace jit::broker {
namespace {

using namespace jit::testing;  // the shared test support (tests/support)
using namespace std::chrono_literals;

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* kHostSetupPolicy = R"yaml(
groups:
  developers: [alice]
roles:
  host-login:
    requestable_by: [developers]
    auto_approve: true
    max_duration: 1h
    ssh: { principals: [hostlogin] }
    x509: { san_uri: "spiffe://corp.example/user/{user}/role/{role}" }
)yaml";

// The account sshd (running as this test's user) lets certificates log into.
std::string host_setup_account() {
  const passwd* entry = ::getpwuid(::geteuid());
  return entry != nullptr ? entry->pw_name : "root";
}

// Inode and modification time: an atomic replacement changes the inode, so an equal pair means
// the file was not touched.
std::pair<ino_t, std::int64_t> host_file_identity(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return {0, 0};
  return {info.st_ino, info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec};
}

// The lines after "# NAME" in `host-setup`'s output, up to an empty line.
std::string printed_block(const std::string& out, const std::string& header) {
  const auto start = out.find(header + "\n");
  if (start == std::string::npos) return {};
  const auto body = start + header.size() + 1;
  const auto end = out.find("\n\n", body);
  return out.substr(body, end == std::string::npos ? std::string::npos : end + 1 - body);
}

// ExecStart of a unit as systemd splits it: words, a word in double quotes kept whole.
std::vector<std::string> unit_exec_start(const std::string& unit) {
  const auto at = unit.find("\nExecStart=");
  if (at == std::string::npos) return {};
  const auto begin = at + 11;
  std::string line = unit.substr(begin, unit.find('\n', begin) - begin);
  std::vector<std::string> words;
  for (std::size_t i = 0; i < line.size();) {
    if (line[i] == ' ') {
      ++i;
    } else if (line[i] == '"') {
      const auto close = line.find('"', i + 1);
      words.push_back(line.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      const auto space = std::min(line.find(' ', i), line.size());
      words.push_back(line.substr(i, space - i));
      i = space;
    }
  }
  return words;
}

class JitHostSetupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() == 0 && !fs::exists("/run/sshd")) fs::create_directories("/run/sshd");
  }

  std::string broker_url() const { return "https://localhost:" + std::to_string(broker_.port()); }

  json::object post(const std::string& target, const json::object& body, unsigned expected) {
    HttpRequest request(http::verb::post, target, 11);
    request.set(http::field::authorization, "Bearer " + broker_.token("alice"));
    request.set(http::field::content_type, "application/json");
    request.body() = json::serialize(body);
    const auto answer = broker_.client()->request(std::move(request));
    EXPECT_EQ(answer.result_int(), expected) << target << ": " << answer.body();
    auto parsed = json::parse(answer.body());
    return parsed.is_object() ? parsed.as_object() : json::object{};
  }

  // An auto-approved grant of alice's.
  std::string new_grant() {
    const auto created = post("/v1/requests", {{"role", "host-login"}}, 201);
    return std::string(created.at("grant").at("id").as_string());
  }

  void revoke(const std::string& grant) {
    // Answered only once the served KRL and CRL list the revocation (docs/api.md).
    post("/v1/grants/" + grant + "/revoke", {{"reason", "host-setup test"}}, 200);
  }

  // `jit --broker URL --ca-file CA ARGS...` with an empty profile folder.
  std::tuple<int, std::string, std::string> jit(std::vector<std::string> args,
                                                const std::string& url, const fs::path& ca) {
    args.insert(args.begin(), {kJitBinary, "--broker", url, "--ca-file", ca.string()});
    return ChildProcess::run(args, host_.path(), {"JIT_CONFIG_DIR=" + (host_ / "jit").string()});
  }
  std::tuple<int, std::string, std::string> jit(std::vector<std::string> args) {
    return jit(std::move(args), broker_url(), broker_.ca_file());
  }

  // What the timer runs: the generated service's ExecStart, word for word.
  std::tuple<int, std::string, std::string> run_timer_command() {
    const auto argv = unit_exec_start(read_text(out_ / "units" / "jit-host-refresh.service"));
    EXPECT_GE(argv.size(), 2u);
    if (argv.empty()) return {-1, "", "no ExecStart"};
    return ChildProcess::run(argv, host_.path(), {"JIT_CONFIG_DIR=" + (host_ / "jit").string()});
  }

  void start_sshd(const std::string& printed_lines) {
    const auto d = host_.path();
    ssh_keygen_new_key(d, "host_key", {"-t", "ed25519"});
    sshd_port_ = free_loopback_port();
    write_text(d / "sshd_config",
               "ListenAddress 127.0.0.1\nPort " + std::to_string(sshd_port_) + "\nHostKey " +
                   (d / "host_key").string() + "\nPidFile " + (d / "sshd.pid").string() + "\n" +
                   printed_lines +
                   "AuthorizedKeysFile none\nPasswordAuthentication no\n"
                   "KbdInteractiveAuthentication no\nPermitRootLogin yes\nUsePAM yes\n"
                   "StrictModes no\nUseDNS no\nPrintMotd no\nLogLevel VERBOSE\n");
    sshd_ = std::make_unique<SshdGuard>(d / "sshd_config", d / "sshd.log", sshd_port_);
  }

  ProcessResult ssh_login(const fs::path& key) {
    return ssh_run_with_key(key, static_cast<std::uint16_t>(sshd_port_), host_setup_account(),
                            "echo logged-in");
  }

  // A new key of alice's with a certificate for `grant` beside it (KEY-cert.pub).
  fs::path mint_ssh(const std::string& grant) {
    const auto key = ssh_keygen_new_key(host_.path(), "user_key", {"-t", "ed25519"});
    const auto minted = post("/v1/grants/" + grant + "/ssh-cert",
                             {{"public_key", read_text(key.string() + ".pub")}}, 201);
    write_text(key.string() + "-cert.pub",
               std::string(minted.at("certificate").as_string()) + "\n");
    return key;
  }

  RunningBroker broker_{kHostSetupPolicy, "", {"alice"}};
  TempDir host_;
  const fs::path out_ = host_ / "etc-jit";
  int sshd_port_ = 0;
  std::unique_ptr<SshdGuard> sshd_;  // stopped before host_ goes
};

TEST_F(JitHostSetupTest, SshdWithThePrintedLinesRefusesARevokedCertificateAfterTheTimersRefresh) {
  const auto account = host_setup_account();
  auto [code, out, err] =
      jit({"host-setup", "--ssh", "--out", out_.string(), "--principals", account + "=hostlogin"});
  ASSERT_EQ(code, 0) << err;
  const auto krl = out_ / "ssh" / "revoked_keys.krl";
  EXPECT_EQ(read_text(out_ / "ssh" / "auth_principals" / account), "hostlogin\n");
  EXPECT_TRUE(read_text(krl.string() + ".etag").starts_with("\"")) << "no ETag kept beside it";
  const auto lines = printed_block(out, "# sshd_config");
  EXPECT_NE(lines.find("RevokedKeys " + krl.string() + "\n"), std::string::npos) << out;
  start_sshd(lines);

  const auto grant = new_grant();
  const auto key = mint_ssh(grant);
  auto login = ssh_login(key);
  ASSERT_EQ(login.exit_code, 0) << login.err << read_text(host_ / "sshd.log");

  revoke(grant);
  EXPECT_EQ(ssh_login(key).exit_code, 0);  // the host has not pulled the new KRL yet
  auto [refresh_code, refresh_out, refresh_err] = run_timer_command();
  ASSERT_EQ(refresh_code, 0) << refresh_err;
  EXPECT_EQ(refresh_out, "KRL " + krl.string() + ": replaced\n");
  auto refused = ssh_login(key);
  EXPECT_NE(refused.exit_code, 0) << refused.out;
  EXPECT_NE(read_text(host_ / "sshd.log").find("revoked"), std::string::npos);

  // Nothing changed since: the broker answers 304 and the file is not rewritten.
  const auto before = host_file_identity(krl);
  auto [again_code, again_out, again_err] = run_timer_command();
  EXPECT_EQ(again_code, 0) << again_err;
  EXPECT_EQ(again_out, "KRL " + krl.string() + ": unchanged (304 Not Modified)\n");
  EXPECT_EQ(host_file_identity(krl), before);
}

// A broker that answers the KRL and CRL calls with what the test sets, and records If-None-Match.
class HostSetupFakeBroker {
 public:
  void answer(http::status status, std::string body) {
    const std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
  }
  std::vector<std::string> if_none_match() const {
    const std::lock_guard lock(mutex_);
    return if_none_match_;
  }
  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(server_.endpoint().port());
  }
  const fs::path& ca_file() const { return server_.ca_file(); }

 private:
  HttpResponse respond(const RequestContext& context) {
    const std::lock_guard lock(mutex_);
    if_none_match_.emplace_back(context.request[http::field::if_none_match]);
    return text_response(status_, body_, "application/octet-stream");
  }

  mutable std::mutex mutex_;
  http::status status_ = http::status::internal_server_error;
  std::string body_;
  std::vector<std::string> if_none_match_;
  TestHttpsServer server_{
      test_limits(), [this](Router& router) {
        for (const char* path : {"/v1/ca/ssh/krl", "/v1/ca/x509/crl"}) {
          router.add(http::verb::get, path,
                     [this](RequestContext&& context, Responder done) { done(respond(context)); });
        }
      }};
};

TEST_F(JitHostSetupTest, ABrokerAnswering500OrGarbageLeavesTheListsAloneAndFails) {
  auto [code, out, err] =
      jit({"host-setup", "--ssh", "--nginx", "--out", out_.string(), "--after-crl-change", ""});
  ASSERT_EQ(code, 0) << err;
  const auto krl = out_ / "ssh" / "revoked_keys.krl";
  const auto crl = out_ / "nginx" / "client_crl.pem";
  const auto krl_bytes = read_text(krl);
  const auto crl_bytes = read_text(crl);
  const auto krl_identity = host_file_identity(krl);
  const auto crl_identity = host_file_identity(crl);
  ASSERT_FALSE(krl_bytes.empty());
  ASSERT_NE(crl_bytes.find("-----BEGIN X509 CRL-----"), std::string::npos);

  HostSetupFakeBroker fake;
  const std::vector<std::string> refresh{"host-refresh", "--ssh", "--nginx", "--out",
                                         out_.string()};
  fake.answer(http::status::internal_server_error, "{\"error\": \"boom\"}");
  auto [failed_code, failed_out, failed_err] = jit(refresh, fake.url(), fake.ca_file());
  EXPECT_EQ(failed_code, 1);
  EXPECT_EQ(failed_err, "jit: KRL from " + fake.url() +
                            "/v1/ca/ssh/krl: the broker answered HTTP 500; " + krl.string() +
                            " left as it was\n"
                            "jit: CRL from " +
                            fake.url() +
                            "/v1/ca/x509/crl?format=pem-bundle: the broker answered HTTP 500; " +
                            crl.string() + " left as it was\n");
  // Both lists were asked for with the ETag kept beside them.
  const auto tags = fake.if_none_match();
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0] + "\n", read_text(krl.string() + ".etag"));
  EXPECT_EQ(tags[1] + "\n", read_text(crl.string() + ".etag"));

  fake.answer(http::status::ok, "<html>a captive portal</html>");
  auto [garbage_code, garbage_out, garbage_err] = jit(refresh, fake.url(), fake.ca_file());
  EXPECT_EQ(garbage_code, 1);
  EXPECT_NE(garbage_err.find("/v1/ca/ssh/krl: refused: it is not an OpenSSH KRL that sshd can "
                             "read; " +
                             krl.string() + " left as it was\n"),
            std::string::npos)
      << garbage_err;
  EXPECT_NE(garbage_err.find("refused: it holds no PEM CRL; " + crl.string() + " left as it was"),
            std::string::npos)
      << garbage_err;

  EXPECT_EQ(read_text(krl), krl_bytes);
  EXPECT_EQ(read_text(crl), crl_bytes);
  EXPECT_EQ(host_file_identity(krl), krl_identity);
  EXPECT_EQ(host_file_identity(crl), crl_identity);
}

TEST_F(JitHostSetupTest, OpensslVerifiesAClientCertificateWithTheWrittenFilesUntilItIsRevoked) {
  const auto hook_mark = host_ / "crl-changed";
  auto [code, out, err] = jit({"host-setup", "--nginx", "--out", out_.string(),
                               "--after-crl-change", "touch " + hook_mark.string()});
  ASSERT_EQ(code, 0) << err;
  const auto chain = out_ / "nginx" / "client_ca_chain.pem";
  const auto crl = out_ / "nginx" / "client_crl.pem";
  EXPECT_EQ(printed_block(out, "# nginx server block"),
            "ssl_client_certificate " + chain.string() + ";\nssl_crl " + crl.string() +
                ";\nssl_verify_client on;\nssl_verify_depth 2;\n");

  const auto grant = new_grant();
  const auto d = host_.path();
  auto [key_code, key_out, key_err] = ChildProcess::run(
      {kOpensslBinary, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", (d / "client.key").string(), "-subj", "/CN=ignored", "-out",
       (d / "client.csr").string()},
      d);
  ASSERT_EQ(key_code, 0) << key_err;
  const auto minted =
      post("/v1/grants/" + grant + "/x509-cert", {{"csr", read_text(d / "client.csr")}}, 201);
  write_text(d / "client.crt", std::string(minted.at("certificate").as_string()));
  const auto verify = [&] {
    return run_process({kOpensslBinary, "verify", "-CAfile", chain.string(), "-CRLfile",
                        crl.string(), "-crl_check_all", (d / "client.crt").string()});
  };
  auto good = verify();
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;

  revoke(grant);
  auto [refresh_code, refresh_out, refresh_err] = run_timer_command();
  ASSERT_EQ(refresh_code, 0) << refresh_err;
  EXPECT_EQ(refresh_out, "CRL " + crl.string() + ": replaced\n");
  EXPECT_TRUE(fs::exists(hook_mark)) << "the after-change command did not run";
  auto revoked = verify();
  EXPECT_NE(revoked.exit_code, 0);
  EXPECT_NE((revoked.out + revoked.err).find("certificate revoked"), std::string::npos)
      << revoked.out << revoked.err;

  // Unchanged: 304, the file is left alone and the after-change command does not run.
  fs::remove(hook_mark);
  const auto before = host_file_identity(crl);
  auto [again_code, again_out, again_err] = run_timer_command();
  EXPECT_EQ(again_code, 0) << again_err;
  EXPECT_EQ(again_out, "CRL " + crl.string() + ": unchanged (304 Not Modified)\n");
  EXPECT_EQ(host_file_identity(crl), before);
  EXPECT_FALSE(fs::exists(hook_mark));
}

TEST_F(JitHostSetupTest, SystemdAcceptsTheGeneratedUnits) {
  auto [code, out, err] = jit({"host-setup", "--ssh", "--nginx", "--out", out_.string()});
  ASSERT_EQ(code, 0) << err;
  const auto units = out_ / "units";
  const auto cron = read_text(units / "jit-host-refresh.cron");
  EXPECT_TRUE(cron.starts_with("* * * * * root " + fs::canonical(kJitBinary).string() +
                               " --broker " + broker_url() + " --ca-file "))
      << cron;
  if (!fs::exists("/usr/bin/systemd-analyze")) GTEST_SKIP() << "systemd-analyze is not installed";
  const auto result = run_process({"/usr/bin/systemd-analyze", "verify", "--man=no",
                                   (units / "jit-host-refresh.service").string(),
                                   (units / "jit-host-refresh.timer").string()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(result.err.find("jit-host-refresh"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace jit::broker
