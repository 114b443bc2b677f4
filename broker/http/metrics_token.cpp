#include "broker/http/metrics_token.hpp"

#include "ca/atomic_file.hpp"
#include "ca/x509_digest.hpp"
#include "config/secret_file.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <stdexcept>

namespace jit::broker {
namespace {

// Why `token` cannot be used, or empty when it can.
std::string token_problem(std::string_view token) {
  if (token.size() < kMinMetricsTokenBytes) return "is shorter than 16 bytes";
  if (token.size() > kMaxMetricsTokenBytes) return "is longer than 1024 bytes";
  for (const char c : token) {
    if (c < 0x21 || c > 0x7E) return "holds a character other than visible ASCII";
  }
  return {};
}

// Into `text`, without its one trailing line break.
void read_token_file(const std::filesystem::path& file, std::string& text) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    throw std::runtime_error("cannot read the metrics token file " + file.string() +
                             " (metrics.bearer_token_file)");
  }
  if (auto exposed = config::secret_file_exposure(file, "metrics token file")) {
    throw std::runtime_error(*exposed);
  }
  auto content = ca::read_file(file, kMaxMetricsTokenBytes + 2);
  if (!content) {
    throw std::runtime_error("cannot read the metrics token file " + file.string() +
                             " (metrics.bearer_token_file)");
  }
  text.assign(ca::as_chars(*content));
  ca::wipe(*content);
  if (text.ends_with("\r\n")) {
    text.resize(text.size() - 2);
  } else if (text.ends_with('\n')) {
    text.pop_back();
  }
}

ca::Bytes sha256(std::string_view text) {
  auto digest = ca::compute_digest(ca::DigestKind::sha256, ca::as_bytes(text));
  if (!digest) throw std::runtime_error("SHA-256 is not available");
  return std::move(*digest);
}

}  // namespace

std::optional<std::string> load_metrics_token(const config::MetricsSettings& settings) {
  if (!settings.bearer_token_env && !settings.bearer_token_file) return std::nullopt;
  // Built in place and returned by name: GCC 12 misreads a moved short string
  // (-Wstringop-overread).
  std::optional<std::string> token(std::in_place);
  std::string source;
  if (settings.bearer_token_env) {
    source = "environment variable " + *settings.bearer_token_env + " (metrics.bearer_token_env)";
    const char* value = std::getenv(settings.bearer_token_env->c_str());
    if (value == nullptr || *value == '\0') throw std::runtime_error(source + " is not set");
    token->assign(value);
  } else {
    source = "metrics token file " + settings.bearer_token_file->string();
    read_token_file(*settings.bearer_token_file, *token);
  }
  if (auto problem = token_problem(*token); !problem.empty()) {
    ca::wipe(*token);
    throw std::runtime_error("the " + source + " " + problem);
  }
  return token;
}

MetricsTokenCheck::MetricsTokenCheck(const std::string& token) : digest_(sha256(token)) {}

bool MetricsTokenCheck::allows(const HttpRequest& request) const {
  const auto found = request.find(http::field::authorization);
  if (found == request.end()) return false;
  const std::string_view header = found->value();
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size() || header.size() > kScheme.size() + kMaxMetricsTokenBytes)
    return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = header[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c) != kScheme[i]) return false;
  }
  // Digests of equal length: the comparison's time says nothing about the token.
  return ca::constant_time_equal(sha256(header.substr(kScheme.size())), digest_);
}

}  // namespace jit::broker
