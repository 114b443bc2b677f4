#include "broker/client/cli_profile.hpp"

#include "ca/atomic_file.hpp"
#include "ca/bytes.hpp"

#include <boost/json.hpp>

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace jit::broker {

std::filesystem::path cli_config_dir() {
  if (const char* dir = std::getenv("JIT_CONFIG_DIR"); dir != nullptr && *dir != '\0') return dir;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::filesystem::path(xdg) / "jit";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".config" / "jit";
}

CliProfile load_cli_profile(const std::filesystem::path& dir) {
  CliProfile profile;
  auto content = ca::read_file(dir / "session.json", 64 * 1024);
  if (!content) return profile;
  boost::system::error_code ec;
  auto value = boost::json::parse(ca::as_chars(*content), ec);
  if (ec || !value.is_object()) {
    throw std::runtime_error((dir / "session.json").string() +
                             " is not valid JSON; remove it and log in again");
  }
  const auto& object = value.as_object();
  const auto text = [&](const char* key) -> std::optional<std::string> {
    const auto* field = object.if_contains(key);
    if (field == nullptr || !field->is_string()) return std::nullopt;
    return std::string(field->as_string());
  };
  if (auto url = text("broker_url")) profile.broker_url = *url;
  profile.ca_file = text("ca_file");
  profile.user = text("user").value_or("");
  profile.token = text("token").value_or("");
  if (const auto* expires = object.if_contains("expires_at");
      expires != nullptr && expires->is_int64()) {
    profile.expires_at = expires->as_int64();
  }
  return profile;
}

void save_cli_profile(const std::filesystem::path& dir, const CliProfile& profile) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  boost::json::object object;
  object["broker_url"] = profile.broker_url;
  if (profile.ca_file) object["ca_file"] = *profile.ca_file;
  object["user"] = profile.user;
  object["token"] = profile.token;
  object["expires_at"] = profile.expires_at;
  std::string text = boost::json::serialize(object);
  auto written = ca::write_file_atomically(dir / "session.json", ca::as_bytes(text), 0600);
  ca::wipe(text);
  if (!written) throw std::runtime_error("cannot write " + (dir / "session.json").string());
}

}  // namespace jit::broker
