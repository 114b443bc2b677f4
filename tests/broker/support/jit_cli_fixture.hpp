// Runs `jit` commands in-process against a CannedBroker: a private JIT_CONFIG_DIR holding a profile
// signed in as alice (token "test-token"), no ssh-agent unless a test sets one, and each command's
// exit code, stdout and stderr captured.
#pragma once

#include "broker/client/cli_profile.hpp"
#include "broker/client/jit_api_client.hpp"
#include "broker/http/json_response.hpp"
#include "tests/support/canned_broker.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>

namespace jit::testing {

inline const std::string kRequestId = "req-0123456789abcdef0123456789abcdef";
inline const std::string kGrantId = "grt-fedcba9876543210fedcba9876543210";

struct CommandRun {
  int code = -1;
  std::string out;
  std::string err;
};

// A Request object as docs/api.md shows it; `grant` null or a Grant.
inline boost::json::object request_json(const std::string& state, std::int64_t approvals = 0,
                                        boost::json::value grant = nullptr) {
  return {{"id", kRequestId},
          {"requester", "alice"},
          {"role", "prod-db-read"},
          {"reason", "INC-1 slow queries"},
          {"ticket", "OPS-7"},
          {"duration", "1h"},
          {"duration_seconds", 3600},
          {"state", state},
          {"created_at", 1700000000},
          {"pending_deadline", 1700003600},
          {"breakglass", false},
          {"incident", ""},
          {"approvals_required", 2},
          {"approvals", approvals},
          {"denials", 0},
          {"review_due_at", nullptr},
          {"reviewed_at", nullptr},
          {"reviewed_by", nullptr},
          {"reviews", boost::json::array{}},
          {"grant", std::move(grant)}};
}

inline boost::json::object grant_json(const std::string& state, std::int64_t not_after) {
  return {{"id", kGrantId},         {"request", kRequestId},    {"user", "alice"},
          {"role", "prod-db-read"}, {"not_before", 1700000100}, {"not_after", not_after},
          {"state", state},         {"breakglass", false},      {"ended_at", nullptr},
          {"end_reason", nullptr}};
}

class JitCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* agent = std::getenv("SSH_AUTH_SOCK")) saved_agent_ = agent;
    ::unsetenv("SSH_AUTH_SOCK");
    ::setenv("JIT_CONFIG_DIR", (dir_ / "jit-config").c_str(), 1);
    broker::CliProfile profile;
    profile.broker_url = broker_.url();
    profile.ca_file = broker_.ca_file().string();
    profile.user = "alice";
    profile.token = "test-token";
    profile.expires_at = 4102444800;
    broker::save_cli_profile(broker::cli_config_dir(), profile);
  }
  void TearDown() override {
    ::unsetenv("JIT_CONFIG_DIR");
    if (saved_agent_) ::setenv("SSH_AUTH_SOCK", saved_agent_->c_str(), 1);
  }

  using Command = std::function<int(std::istream&, std::ostream&, std::ostream&)>;
  static CommandRun run(const Command& command, const std::string& stdin_text = {}) {
    std::istringstream in(stdin_text);
    std::ostringstream out;
    std::ostringstream err;
    CommandRun result;
    result.code = command(in, out, err);
    result.out = out.str();
    result.err = err.str();
    return result;
  }

  static std::string body_text(const RecordedCall& call, const char* key) {
    const auto* object = call.body.if_object();
    const auto* value = object ? object->if_contains(key) : nullptr;
    return value && value->is_string() ? std::string(value->get_string()) : std::string("<absent>");
  }
  static std::string totp_of(const RecordedCall& call) {
    const auto* object = call.body.if_object();
    const auto* mfa = object ? object->if_contains("mfa") : nullptr;
    if (mfa == nullptr || !mfa->is_object()) return "<absent>";
    const auto* totp = mfa->get_object().if_contains("totp");
    return totp && totp->is_string() ? std::string(totp->get_string()) : std::string("<absent>");
  }

  TempDir dir_;
  CannedBroker broker_;
  broker::JitGlobalOptions global_;  // everything from the stored profile
  std::optional<std::string> saved_agent_;
};

}  // namespace jit::testing
