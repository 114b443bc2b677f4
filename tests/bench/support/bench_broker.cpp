#include "support/bench_broker.hpp"

#include "approvals/totp.hpp"
#include "tests/support/files.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
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

// The config names the port before the broker starts (the WebAuthn origin may need it).
testing::BrokerConfig BenchBroker::config_for(const std::string& extra_config_yaml) {
  const auto port = std::to_string(free_port());
  testing::BrokerConfig config;
  config.listen = "127.0.0.1:" + port;
  config.extra_yaml = replace_all(extra_config_yaml, "{port}", port);
  return config;
}

BenchBroker::BenchBroker(BenchBrokerOptions options)
    : broker_(options.policy_yaml, config_for(options.extra_config_yaml)) {
  for (const auto& [path, content] : options.private_files) {
    testing::write_text(broker_.dir() / path, content);
    std::filesystem::permissions(broker_.dir() / path, std::filesystem::perms::owner_read |
                                                           std::filesystem::perms::owner_write);
  }
  for (const auto& user : options.users) secrets_[user] = broker_.enroll(user);
  if (options.before_start) options.before_start(broker_);
  broker_.start();
}

BenchBroker::~BenchBroker() { stop(); }

void BenchBroker::stop() {
  broker_.stop(10s);  // killed if it did not stop
}

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
                    {"password", std::string(testing::kTestPassword)},
                    {"mfa", json::object{{"totp", totp(user)}}}};
  auto answer = call(boost::beast::http::verb::post, "/v1/login", "", &body, 200);
  return std::string(answer.at("token").as_string());
}

json::value BenchBroker::call(boost::beast::http::verb method, const std::string& target,
                              const std::string& token, const json::object* body,
                              unsigned expected) {
  broker::ClientRequest request;
  request.method = method;
  request.url = *broker::parse_url("https://localhost:" + std::to_string(port()) + target);
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
  std::ifstream status("/proc/" + std::to_string(pid()) + "/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(status, line)) {
    if (line.rfind(prefix, 0) == 0) return std::stoll(line.substr(prefix.size()));
  }
  return -1;
}

std::int64_t BenchBroker::cpu_us() const {
  std::ifstream stat("/proc/" + std::to_string(pid()) + "/stat");
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
