#include "support/bench_broker.hpp"

#include "approvals/totp.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <unistd.h>

namespace jit::bench {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
// Every user's password: 12 characters or more and no user's name (approvals/password_rules.hpp).
constexpr std::string_view kPassword = "correct horse battery staple";

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A port free now, for configs that must name it before the broker starts (the WebAuthn origin).
unsigned short free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::int64_t current_step() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() /
         30;
}

}  // namespace

std::string broker_binary(const std::string& name) {
  return std::string(JIT_BUILD_DIR) + "/broker/" + name;
}

BenchBroker::BenchBroker(BenchBrokerOptions options) {
  write_text(dir_ / "policy.yaml", options.policy_yaml);
  const std::string config = (dir_ / "broker.yaml").string();
  const auto port = std::to_string(free_port());
  write_text(config, "listen: \"127.0.0.1:" + port +
                         "\"\ndata_dir: data\npolicy_file: policy.yaml\n"
                         "tls:\n  dev_tls: true\nca:\n  generate_missing: true\n" +
                         replace_all(options.extra_config_yaml, "{port}", port));
  for (const auto& user : options.users) {
    auto [code, out, err] = testing::ChildProcess::run(
        {broker_binary("jit-broker"), "--config", config, "user", "enroll", user}, dir_.path(), {},
        std::string(kPassword) + "\n");
    const auto start = out.find("secret=");
    if (code != 0 || start == std::string::npos) {
      throw std::runtime_error("user enroll " + user + " failed: " + err);
    }
    const auto end = out.find('&', start);
    auto secret = approvals::base32_decode(out.substr(start + 7, end - start - 7));
    if (!secret) throw std::runtime_error("enroll printed no TOTP secret");
    secrets_[user] = std::move(*secret);
  }
  process_ = std::make_unique<testing::ChildProcess>(
      std::vector<std::string>{broker_binary("jit-broker"), "--config", config, "serve"},
      dir_.path());
  if (!process_->wait_for_output("listening on", 30s)) {
    throw std::runtime_error("broker did not start: " + process_->err());
  }
  const std::string out = process_->out();
  const auto slash = out.find("/ ", out.find("listening on https://"));
  const auto colon = out.rfind(':', slash);
  port_ = static_cast<unsigned short>(std::stoi(out.substr(colon + 1, slash - colon - 1)));
}

BenchBroker::~BenchBroker() {
  process_->signal(SIGTERM);
  process_->wait(10s);  // the destructor kills it if it did not stop
}

std::filesystem::path BenchBroker::ca_file() const { return dir_ / "data/tls/server.crt"; }

std::string BenchBroker::totp(const std::string& user) {
  auto step = std::max(current_step(), last_step_[user] + 1);
  while (step > current_step() + 1) std::this_thread::sleep_for(200ms);
  last_step_[user] = step;
  auto code = approvals::totp_code(secrets_.at(user),
                                   std::chrono::sys_seconds(std::chrono::seconds(step * 30)));
  if (!code) throw std::runtime_error("totp_code failed");
  return *code;
}

std::string BenchBroker::login(const std::string& user) {
  json::object body{{"user", user},
                    {"password", std::string(kPassword)},
                    {"mfa", json::object{{"totp", totp(user)}}}};
  auto answer = call(boost::beast::http::verb::post, "/v1/login", "", &body, 200);
  return std::string(answer.at("token").as_string());
}

json::value BenchBroker::call(boost::beast::http::verb method, const std::string& target,
                              const std::string& token, const json::object* body,
                              unsigned expected) {
  broker::ClientRequest request;
  request.method = method;
  request.url = *broker::parse_url("https://localhost:" + std::to_string(port_) + target);
  if (body != nullptr) request.body = json::serialize(*body);
  if (!token.empty()) request.headers.push_back({"Authorization", "Bearer " + token});
  auto answer = broker::fetch({ca_file()}, request);
  if (!answer) throw std::runtime_error(target + ": " + answer.error().message());
  if (answer->status != expected) {
    throw std::runtime_error(target + ": status " + std::to_string(answer->status) + " " +
                             answer->body);
  }
  return answer->body.empty() ? json::value() : json::parse(answer->body);
}

std::int64_t BenchBroker::proc_status_kib(const char* field) const {
  std::ifstream status("/proc/" + std::to_string(process_->pid()) + "/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(status, line)) {
    if (line.rfind(prefix, 0) == 0) return std::stoll(line.substr(prefix.size()));
  }
  return -1;
}

std::int64_t BenchBroker::cpu_us() const {
  std::ifstream stat("/proc/" + std::to_string(process_->pid()) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start after the last ')'.
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  std::int64_t utime = 0, stime = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14) utime = std::stoll(field);
    if (index == 15) {
      stime = std::stoll(field);
      break;
    }
  }
  return (utime + stime) * 1'000'000 / ::sysconf(_SC_CLK_TCK);
}

std::int64_t BenchBroker::rss_kib() const { return proc_status_kib("VmRSS"); }
std::int64_t BenchBroker::peak_rss_kib() const { return proc_status_kib("VmHWM"); }

}  // namespace jit::bench
