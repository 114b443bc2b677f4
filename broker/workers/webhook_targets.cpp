#include "broker/workers/webhook_targets.hpp"

#include "ca/atomic_file.hpp"
#include "ca/bytes.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace jit::broker {
namespace {

constexpr std::size_t kMinSecret = 16;
constexpr std::size_t kMaxSecret = 1024;

// The secret of one URL, or nullopt when it has none.
std::optional<std::string> read_secret(const config::WebhookSigning& signing) {
  std::string secret;
  std::string source;
  if (signing.secret_env) {
    source = "environment variable " + *signing.secret_env + " (" + signing.key + ".secret_env)";
    const char* value = std::getenv(signing.secret_env->c_str());
    if (value == nullptr || *value == '\0') throw std::runtime_error(source + " is not set");
    secret.assign(value);
  } else if (signing.secret_file) {
    source = "secret file " + signing.secret_file->string() + " (" + signing.key + ".secret_file)";
    auto content = ca::read_file(*signing.secret_file, kMaxSecret + 2);
    if (!content) throw std::runtime_error("cannot read the " + source);
    secret.assign(ca::as_chars(*content));
    ca::wipe(*content);
    if (secret.ends_with("\r\n")) {
      secret.resize(secret.size() - 2);
    } else if (secret.ends_with('\n')) {
      secret.pop_back();
    }
  } else {
    return std::nullopt;
  }
  const bool visible =
      std::all_of(secret.begin(), secret.end(), [](char c) { return c > 0x20 && c < 0x7F; });
  if (!visible || secret.size() < kMinSecret || secret.size() > kMaxSecret) {
    ca::wipe(secret);
    throw std::runtime_error("the " + source +
                             " does not hold 16 to 1024 visible ASCII characters");
  }
  return secret;
}

}  // namespace

std::vector<WebhookTarget> webhook_targets(const config::WebhookSettings& settings) {
  std::vector<WebhookTarget> targets;
  for (std::size_t i = 0; i < settings.urls.size(); ++i) {
    WebhookTarget target{settings.urls[i], std::nullopt};
    if (i < settings.signing.size()) target.secret = read_secret(settings.signing[i]);
    if (i < settings.formats.size()) target.format = settings.formats[i];
    targets.push_back(std::move(target));
  }
  return targets;
}

}  // namespace jit::broker
