#include "broker/client/jit_sso_commands.hpp"

#include "broker/client/sso_loopback_receiver.hpp"
#include "ca/bytes.hpp"

#include <boost/json.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace jit::broker {
namespace {

namespace json = boost::json;

constexpr std::size_t kPkceVerifierBytes = 32;
constexpr std::int64_t kMaxPollInterval = 60;

// Where a signed-in session goes: the same fields, file and message as `jit login`.
int store_sso_session(BrokerApi& api, const ApiAnswer& result, const std::string& provider,
                      std::ostream& out) {
  const auto* answer = result.object();
  if (result.status != 200 || answer == nullptr) return api.refused(result);
  const auto* token = answer->if_contains("token");
  const auto* user = answer->if_contains("user");
  const auto* expires_at = answer->if_contains("expires_at");
  if (token == nullptr || !token->is_string() || user == nullptr || !user->is_string() ||
      expires_at == nullptr || !expires_at->is_int64()) {
    return api.unexpected("token");
  }
  CliProfile profile = api.profile();
  profile.user = std::string(user->get_string());
  profile.token = std::string(token->get_string());
  profile.expires_at = expires_at->get_int64();
  save_cli_profile(cli_config_dir(), profile);
  out << "logged in as " << profile.user << " via " << provider << " (session stored in "
      << (cli_config_dir() / "session.json").string() << ")\n";
  return kJitOk;
}

// The provider to use: the one named, else the broker's only one.
std::optional<std::string> choose_provider(BrokerApi& api, const SsoLoginOptions& options,
                                           std::ostream& err, int& code) {
  code = kJitError;
  if (options.provider) {
    if (!is_sso_provider_name(*options.provider)) {
      err << "jit: '" << *options.provider << "' is not a provider name (a-z 0-9 -)\n";
      return std::nullopt;
    }
    return options.provider;
  }
  auto result = api.get("/v1/auth/sso");
  if (!result) return std::nullopt;
  if (result->status != 200) {
    code = api.refused(*result);
    return std::nullopt;
  }
  const auto* answer = result->object();
  const auto* providers = answer ? answer->if_contains("providers") : nullptr;
  if (providers == nullptr || !providers->is_array()) {
    code = api.unexpected("providers");
    return std::nullopt;
  }
  std::vector<std::string> names;
  for (const auto& item : providers->get_array()) {
    const auto* name = item.is_object() ? item.get_object().if_contains("name") : nullptr;
    if (name == nullptr || !name->is_string() || !is_sso_provider_name(name->get_string())) {
      code = api.unexpected("providers");
      return std::nullopt;
    }
    names.emplace_back(name->get_string());
  }
  if (names.size() == 1) return names.front();
  if (names.empty()) {
    err << "jit: this broker has no single sign-on provider; use jit login --user NAME\n";
  } else {
    err << "jit: the broker has several providers; name one: jit login --sso PROVIDER (";
    for (std::size_t i = 0; i < names.size(); ++i) err << (i ? ", " : "") << names[i];
    err << ")\n";
  }
  return std::nullopt;
}

// Runs `xdg-open URL` without waiting for it, its output discarded. Only a convenience: the URL
// was printed already, so a failure is ignored.
void open_in_browser(const std::string& url) {
  posix_spawn_file_actions_t actions;
  if (::posix_spawn_file_actions_init(&actions) != 0) return;
  std::array<std::string, 2> copies{"xdg-open", url};
  std::array<char*, 3> args{copies[0].data(), copies[1].data(), nullptr};
  pid_t pid = 0;
  if (::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0) == 0 &&
      ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0) == 0 &&
      ::posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0) == 0 &&
      ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ) == 0) {
    int status = 0;
    // xdg-open hands the URL to the browser and exits; reap it if it already has.
    (void)::waitpid(pid, &status, WNOHANG);
  }
  ::posix_spawn_file_actions_destroy(&actions);
}

bool has_display() {
  const char* x11 = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  return (x11 != nullptr && *x11 != '\0') || (wayland != nullptr && *wayland != '\0');
}

std::optional<std::string> text_member(const json::object* object, std::string_view name) {
  const auto* value = object ? object->if_contains(name) : nullptr;
  if (value == nullptr || !value->is_string() || value->get_string().empty()) return std::nullopt;
  return std::string(value->get_string());
}

int loopback_login(BrokerApi& api, const std::string& provider, const SsoLoginOptions& options,
                   std::ostream& out, std::ostream& err) {
  SsoLoopbackReceiver receiver;
  std::string verifier = new_pkce_verifier();
  const std::string base = "/v1/auth/sso/" + provider + "/cli/";
  auto begun =
      api.post(base + "begin", json::object{{"redirect_uri", receiver.redirect_uri()},
                                            {"code_challenge", pkce_s256_challenge(verifier)}});
  if (!begun) return kJitError;
  if (begun->status != 200) return api.refused(*begun);
  const auto url = text_member(begun->object(), "authorization_url");
  const auto state = text_member(begun->object(), "state");
  if (!url || !state || !(url->starts_with("https://") || url->starts_with("http://"))) {
    return api.unexpected("authorization_url");
  }
  out << "Open this address in a browser on this machine to sign in with " << provider << ":\n  "
      << *url << "\nWaiting for the browser (up to "
      << std::chrono::duration_cast<std::chrono::minutes>(options.timeout).count()
      << " minutes)...\n"
      << std::flush;
  if (!options.no_browser && has_display()) open_in_browser(*url);
  LoopbackCallback callback = receiver.wait_for_callback(*state, options.timeout);
  if (!callback.code) {
    err << "jit: " << callback.problem << "; run jit login --sso again\n";
    ca::wipe(verifier);
    return kJitError;
  }
  json::object body{{"state", *state}, {"code", *callback.code}, {"code_verifier", verifier}};
  ca::wipe(verifier);
  ca::wipe(*callback.code);
  auto finished = api.post(base + "finish", body);
  if (!finished) return kJitError;
  return store_sso_session(api, *finished, provider, out);
}

int device_login(BrokerApi& api, const std::string& provider, std::ostream& out,
                 std::ostream& err) {
  const std::string base = "/v1/auth/sso/" + provider + "/device/";
  auto begun = api.post(base + "begin", json::object{});
  if (!begun) return kJitError;
  if (begun->status != 200) return api.refused(*begun);
  const auto* answer = begun->object();
  const auto handle = text_member(answer, "device_handle");
  const auto user_code = text_member(answer, "user_code");
  const auto uri = text_member(answer, "verification_uri");
  const auto complete = text_member(answer, "verification_uri_complete");
  const auto* interval_value = answer ? answer->if_contains("interval") : nullptr;
  const auto* expires_value = answer ? answer->if_contains("expires_in") : nullptr;
  if (!handle || !user_code || !uri || interval_value == nullptr || !interval_value->is_int64() ||
      expires_value == nullptr || !expires_value->is_int64() || expires_value->get_int64() <= 0) {
    return api.unexpected("device authorization");
  }
  std::int64_t interval =
      std::clamp<std::int64_t>(interval_value->get_int64(), 1, kMaxPollInterval);
  const auto expires =
      std::chrono::steady_clock::now() + std::chrono::seconds{expires_value->get_int64()};
  out << "On any device, open " << *uri << " and enter the code " << *user_code << "\n";
  if (complete) out << "(or open " << *complete << ")\n";
  out << "Waiting for the sign-in...\n" << std::flush;
  for (;;) {
    if (std::chrono::steady_clock::now() + std::chrono::seconds{interval} >= expires) {
      err << "jit: the code expired before the sign-in finished; run jit login --sso --device "
             "again\n";
      return kJitTimedOut;
    }
    std::this_thread::sleep_for(std::chrono::seconds{interval});
    auto polled = api.post(base + "poll", json::object{{"device_handle", *handle}});
    if (!polled) return kJitError;
    if (polled->status == 200) return store_sso_session(api, *polled, provider, out);
    if (polled->status != 202) return api.refused(*polled);
    const auto* waiting = polled->object();
    const auto status = text_member(waiting, "status");
    const auto* next = waiting ? waiting->if_contains("interval") : nullptr;
    if (status == "slow_down") {
      // RFC 8628 3.5: slow down by 5 s, or to what the broker says, whichever is longer.
      interval = std::min(kMaxPollInterval,
                          std::max(interval + 5, next && next->is_int64() ? next->get_int64() : 0));
    } else if (status != "authorization_pending") {
      return api.unexpected("device poll status");
    } else if (next && next->is_int64()) {
      interval = std::clamp<std::int64_t>(next->get_int64(), 1, kMaxPollInterval);
    }
  }
}

}  // namespace

bool is_sso_provider_name(std::string_view name) noexcept {
  return !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string new_pkce_verifier() {
  std::array<unsigned char, kPkceVerifierBytes> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    throw std::runtime_error("the system random generator failed");
  }
  std::string verifier = ca::base64url_encode_unpadded(
      ca::ByteView(reinterpret_cast<const std::byte*>(random.data()), random.size()));
  OPENSSL_cleanse(random.data(), random.size());
  return verifier;
}

std::string pkce_s256_challenge(std::string_view verifier) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(verifier.data(), verifier.size(), digest.data(), &length, EVP_sha256(), nullptr) !=
      1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return ca::base64url_encode_unpadded(
      ca::ByteView(reinterpret_cast<const std::byte*>(digest.data()), length));
}

int jit_sso_login(const JitGlobalOptions& global, const SsoLoginOptions& options, std::ostream& out,
                  std::ostream& err) {
  CliProfile profile = effective_profile(global);
  profile.token.clear();
  BrokerApi api(profile, std::cin, err);
  int code = kJitError;
  const auto provider = choose_provider(api, options, err, code);
  if (!provider) return code;
  if (options.device) return device_login(api, *provider, out, err);
  return loopback_login(api, *provider, options, out, err);
}

}  // namespace jit::broker
