#include "tests/support/broker_process.hpp"

#include "approvals/totp.hpp"
#include "tests/support/files.hpp"

#include <signal.h>

#include <stdexcept>

namespace jit::testing {

std::string broker_binary(const std::string& name) {
  return std::string(JIT_BUILD_DIR) + "/broker/" + name;
}

unsigned short listening_port(const std::string& out) {
  const auto line = out.find("listening on https://");
  if (line == std::string::npos) return 0;
  const auto slash = out.find("/ ", line);
  const auto colon = out.rfind(':', slash);
  if (slash == std::string::npos || colon == std::string::npos || colon < line) return 0;
  return static_cast<unsigned short>(std::stoi(out.substr(colon + 1, slash - colon - 1)));
}

BrokerProcess::BrokerProcess(const std::string& policy_yaml, const BrokerConfig& config) {
  write_policy(policy_yaml);
  write_config(config);
}

BrokerProcess::~BrokerProcess() {
  // A broker that does not stop in time is killed by ChildProcess's destructor.
  if (process_ && !process_->wait(std::chrono::milliseconds(0))) {
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(10));
  }
}

void BrokerProcess::write_config(const BrokerConfig& config) {
  write_text(dir_ / "broker.yaml", "listen: \"" + config.listen +
                                       "\"\ndata_dir: " + config.data_dir +
                                       "\npolicy_file: policy.yaml\n"
                                       "tls:\n  dev_tls: true\n"
                                       "ca:\n  generate_missing: true\n" +
                                       config.extra_yaml);
}

void BrokerProcess::write_policy(const std::string& policy_yaml) {
  write_text(dir_ / "policy.yaml", policy_yaml);
}

std::tuple<int, std::string, std::string> BrokerProcess::admin(std::vector<std::string> args,
                                                               std::string stdin_text,
                                                               std::vector<std::string> env) const {
  args.insert(args.begin(), {broker_binary(), "--config", config_file()});
  return ChildProcess::run(std::move(args), dir_.path(), std::move(env), std::move(stdin_text));
}

ca::Bytes BrokerProcess::enroll(const std::string& user, const std::string& password) {
  auto [code, out, err] = admin({"user", "enroll", user}, password + "\n");
  const auto start = out.find("secret=");
  if (code != 0 || start == std::string::npos) {
    throw std::runtime_error("jit-broker user enroll " + user + " failed: " + err);
  }
  auto secret = approvals::base32_decode(out.substr(start + 7, out.find('&', start) - start - 7));
  if (!secret) throw std::runtime_error("user enroll " + user + ": no TOTP secret in " + out);
  return std::move(*secret);
}

ChildProcess& BrokerProcess::launch(std::vector<std::string> env) {
  if (process_) end_process();
  port_ = 0;
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{broker_binary(), "--config", config_file(), "serve"}, dir_.path(),
      std::move(env));
  return *process_;
}

bool BrokerProcess::wait_listening(std::chrono::milliseconds limit) {
  if (!process_ || !process_->wait_for_output("listening on", limit)) return false;
  port_ = listening_port(process_->out());
  return port_ != 0;
}

void BrokerProcess::start(std::vector<std::string> env) {
  launch(std::move(env));
  if (!wait_listening()) throw std::runtime_error("jit-broker did not start: " + process_->err());
}

std::optional<int> BrokerProcess::stop(std::chrono::milliseconds limit) {
  if (!process_) return std::nullopt;
  if (!process_->wait(std::chrono::milliseconds(0))) process_->signal(SIGTERM);
  auto code = process_->wait(limit);
  end_process();
  return code;
}

void BrokerProcess::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(30));
  end_process();
}

bool BrokerProcess::running() {
  return process_ && !process_->wait(std::chrono::milliseconds(0)).has_value();
}

std::string BrokerProcess::errors() const { return errors_ + (process_ ? process_->err() : ""); }

void BrokerProcess::end_process() {
  errors_ += process_->err();
  process_.reset();
}

}  // namespace jit::testing
