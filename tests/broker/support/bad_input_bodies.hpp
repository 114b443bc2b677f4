// Request bodies for the bad-input suite, written as raw text so that a case can put any bytes in
// any value, and the audit records the broker writes on purpose for refused attempts.
#pragma once

#include "broker/auth/derived_keys.hpp"
#include "ca/atomic_file.hpp"
#include "tests/support/running_broker.hpp"

#include <boost/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jit::testing {

// Members of a JSON object as raw text, so that a test can put any bytes in a value.
using Members = std::vector<std::pair<std::string, std::string>>;

inline std::string text_of(const Members& members) {
  std::string text = "{";
  for (const auto& [key, raw] : members) {
    if (text.size() > 1) text += ",";
    text += "\"" + key + "\":" + raw;
  }
  return text + "}";
}

inline Members with(Members members, const std::string& key, std::string raw) {
  for (auto& [name, value] : members) {
    if (name == key) {
      value = std::move(raw);
      return members;
    }
  }
  members.emplace_back(key, std::move(raw));
  return members;
}

// Bytes in quotes, without escaping anything: the test chooses every byte.
inline std::string raw_string(std::string_view bytes) { return "\"" + std::string(bytes) + "\""; }

inline const Members kAsk = {{"role", raw_string("prod-db-read")},
                             {"reason", raw_string("migrate orders")},
                             {"ticket", raw_string("OPS-1")},
                             {"duration", raw_string("30m")}};
inline const Members kGlass = {{"role", raw_string("prod-db-read")},
                               {"incident", raw_string("INC-1")},
                               {"reason", raw_string("db down")},
                               {"duration", raw_string("10m")}};
inline const Members kLogin = {{"user", raw_string("alice")},
                               {"password", raw_string("pw-alice")},
                               {"mfa", R"({"totp":"000000"})"}};

// The name is recorded only as a tag keyed by the broker's data key (`data_dir`/data.key).
inline AuditRow malformed_login(const std::string& name, const std::filesystem::path& data_dir) {
  const auto data_key = ca::read_file(data_dir / "data.key", 64);
  return {"unknown", "login.failure", "user/unknown",
          boost::json::object{{"reason", "malformed user name"},
                              {"name_tag", broker::unknown_login_name_tag(
                                               data_key ? *data_key : ca::Bytes{}, name)}}};
}

inline AuditRow breakglass_refused(const std::string& role, const std::string& code) {
  return {"alice", "breakglass.refused", "user/alice",
          boost::json::object{{"role", role}, {"code", code}}};
}

}  // namespace jit::testing
