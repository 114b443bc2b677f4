// broker.yaml's `sso` section (docs/sso.md "Configuration"): the OpenID Connect providers people
// may sign in with. Everything that can be checked without the network or the policy is checked
// here; the group_map targets are checked against the policy by check_sso_against_policy.
#include "config/broker_sections.hpp"
#include "config/policy.hpp"
#include "config/secret_file.hpp"
#include "config/syntax.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <set>

namespace jit::config {
namespace detail {
namespace {

constexpr std::size_t kMaxProviderNameLength = 32;
constexpr std::size_t kMaxProviders = 16;
constexpr std::size_t kMaxClaimNameLength = 64;
constexpr std::size_t kMaxClientIdLength = 255;
constexpr std::size_t kMaxClientSecretBytes = 4096;
constexpr std::string_view kProviderNameRule = "1 to 32 of a-z 0-9 -";
constexpr std::string_view kIssuerExpected = "an https URL without query or fragment";

bool is_provider_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxProviderNameLength &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
bool is_scope_token(std::string_view scope) {
  return !scope.empty() && std::all_of(scope.begin(), scope.end(), [](char c) {
    return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
  });
}

std::string https_url(const YamlValue& value, std::string_view expected) {
  std::string url = value.string(expected);
  if (!syntax::is_http_url(url, true) || url.find_first_of("?#") != std::string::npos) {
    value.fail(syntax::quoted(url) + " is not " + std::string(expected), std::string(expected));
  }
  return url;
}

std::string claim_name(const YamlValue& value) {
  std::string claim = value.string("a claim name");
  if (claim.size() > kMaxClaimNameLength) {
    value.fail("the claim name is longer than 64 characters", "a claim name");
  }
  return claim;
}

std::vector<std::string> unique_strings(const YamlValue& value, std::string_view expected) {
  std::vector<std::string> out = value.string_list(expected);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!seen.insert(out[i]).second) {
      value.list(expected)[i].fail(syntax::quoted(out[i]) + " is listed twice", "each value once");
    }
  }
  return out;
}

// Like a webhook secret file: private to the broker's user, one line of visible ASCII. Its text is
// not kept; the broker reads it again when it starts.
void check_client_secret_file(const YamlValue& value, const std::filesystem::path& file) {
  const std::string expected = "a file (mode 0600) holding the client secret on one line";
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    value.fail("cannot read the client secret file " + file.string(), expected);
  }
  if (auto exposed = secret_file_exposure(file, "the client secret file")) {
    value.fail(*exposed, expected);
  }
  std::ifstream in(file, std::ios::binary);
  std::string text(kMaxClientSecretBytes + 2, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) value.fail("cannot read the client secret file " + file.string(), expected);
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.ends_with("\r\n")) {
    text.resize(text.size() - 2);
  } else if (text.ends_with('\n')) {
    text.pop_back();
  }
  const bool usable =
      !text.empty() && text.size() <= kMaxClientSecretBytes &&
      std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7F; });
  std::fill(text.begin(), text.end(), '\0');
  if (!usable) {
    value.fail("the client secret file " + file.string() + " does not hold a usable secret",
               expected);
  }
}

void read_client_secret(const YamlMap& map, const std::filesystem::path& base,
                        OidcProviderSettings& provider) {
  const YamlValue* env = map.find("client_secret_env");
  const YamlValue* file = map.find("client_secret_file");
  constexpr std::string_view kExpected =
      "one secret source: client_secret_env or client_secret_file (never inline)";
  if (env != nullptr && file != nullptr) {
    file->fail("client_secret_env and client_secret_file are both set", std::string(kExpected));
  }
  if (env == nullptr && file == nullptr) map.fail_missing("client_secret_env", kExpected);
  if (env != nullptr) {
    std::string name = env->string("an environment variable name");
    if (!syntax::is_env_var_name(name)) {
      env->fail(syntax::quoted(name) + " is not an environment variable name",
                "[A-Za-z_][A-Za-z0-9_]*");
    }
    provider.client_secret_env = std::move(name);
  } else {
    provider.client_secret_file = file->path(base);
    check_client_secret_file(*file, *provider.client_secret_file);
  }
}

void read_scopes(const YamlValue& value, OidcProviderSettings& provider) {
  provider.scopes = unique_strings(value, "a list of OAuth scopes");
  const auto items = value.list("a list of OAuth scopes");
  for (std::size_t i = 0; i < provider.scopes.size(); ++i) {
    if (!is_scope_token(provider.scopes[i])) {
      items[i].fail(syntax::quoted(provider.scopes[i]) + " is not a scope",
                    "printable ASCII without spaces, quotes or backslashes");
    }
  }
  if (std::find(provider.scopes.begin(), provider.scopes.end(), "openid") ==
      provider.scopes.end()) {
    value.fail("the scopes do not include openid", "a list of scopes that contains openid");
  }
}

void read_algorithms(const YamlValue& value, OidcProviderSettings& provider) {
  constexpr std::string_view kExpected = "a non-empty list of RS256, ES256, EdDSA";
  provider.algorithms = unique_strings(value, kExpected);
  if (provider.algorithms.empty()) value.fail("the list is empty", std::string(kExpected));
  const auto items = value.list(kExpected);
  for (std::size_t i = 0; i < provider.algorithms.size(); ++i) {
    const std::string& alg = provider.algorithms[i];
    if (alg != "RS256" && alg != "ES256" && alg != "EdDSA") {
      items[i].fail(syntax::quoted(alg) + " is not an allowed ID token algorithm",
                    std::string(kExpected));
    }
  }
}

void read_group_map(const YamlValue& value, OidcProviderSettings& provider) {
  const YamlMap map = value.open_map("a map of identity provider group to policy group");
  for (const YamlMap::Entry& entry : map.entries()) {
    provider.group_map[entry.name] = entry.value.name("a policy group declared source: idp");
    provider.group_map_lines[entry.name] = entry.value.line();
  }
}

void read_redirect_uri(const YamlValue& value, OidcProviderSettings& provider) {
  const std::string path = "/v1/auth/sso/" + provider.name + "/callback";
  const std::string expected = "https://BROKER" + path;
  provider.redirect_uri = https_url(value, expected);
  const std::string_view after_scheme = std::string_view(provider.redirect_uri).substr(8);
  if (after_scheme.substr(std::min(after_scheme.find('/'), after_scheme.size())) != path) {
    value.fail(syntax::quoted(provider.redirect_uri) + " does not end in " + path, expected);
  }
}

OidcProviderSettings read_provider(const YamlValue& value, const std::filesystem::path& base) {
  const YamlMap map = value.map({"name", "display_name", "issuer", "client_id", "client_secret_env",
                                 "client_secret_file", "scopes", "groups_claim", "group_map",
                                 "username_claim", "mfa_amr", "mfa_acr", "redirect_uri", "ca_file",
                                 "algorithms", "clock_skew", "session_cap"});
  OidcProviderSettings provider;
  const YamlValue& name = map.require("name", kProviderNameRule);
  provider.name = name.string(kProviderNameRule);
  if (!is_provider_name(provider.name)) {
    name.fail(syntax::quoted(provider.name) + " is not a provider name",
              std::string(kProviderNameRule));
  }
  provider.display_name = provider.name;
  if (const YamlValue* v = map.find("display_name")) {
    provider.display_name = v->string("a short name shown on the sign-in page");
    if (provider.display_name.size() > 64) {
      v->fail("longer than 64 characters", "a short name shown on the sign-in page");
    }
  }
  provider.issuer = https_url(map.require("issuer", kIssuerExpected), kIssuerExpected);
  const YamlValue& client_id = map.require("client_id", "the client id registered at the provider");
  provider.client_id = client_id.string("the client id registered at the provider");
  if (provider.client_id.size() > kMaxClientIdLength) {
    client_id.fail("longer than 255 characters", "the client id registered at the provider");
  }
  read_client_secret(map, base, provider);
  if (const YamlValue* v = map.find("scopes")) read_scopes(*v, provider);
  if (const YamlValue* v = map.find("groups_claim")) provider.groups_claim = claim_name(*v);
  if (const YamlValue* v = map.find("group_map")) read_group_map(*v, provider);
  if (const YamlValue* v = map.find("username_claim")) provider.username_claim = claim_name(*v);
  if (const YamlValue* v = map.find("mfa_amr")) provider.mfa_amr = unique_strings(*v, "amr values");
  if (const YamlValue* v = map.find("mfa_acr")) provider.mfa_acr = unique_strings(*v, "acr values");
  read_redirect_uri(
      map.require("redirect_uri", "https://BROKER/v1/auth/sso/" + provider.name + "/callback"),
      provider);
  if (const YamlValue* v = map.find("ca_file")) {
    provider.ca_file = v->path(base);
    struct stat info {};
    if (::stat(provider.ca_file->c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
      v->fail("cannot read " + provider.ca_file->string(),
              "a readable PEM file of CA certificates");
    }
  }
  if (const YamlValue* v = map.find("algorithms")) read_algorithms(*v, provider);
  if (const YamlValue* v = map.find("clock_skew")) {
    provider.clock_skew = v->duration(Seconds{0}, std::chrono::minutes{5});
  }
  if (const YamlValue* v = map.find("session_cap")) {
    provider.session_cap = v->duration(std::chrono::minutes{1}, std::chrono::hours{24 * 30});
  }
  return provider;
}

}  // namespace

SsoSettings read_sso(const YamlValue& value, const std::filesystem::path& base) {
  const YamlMap map = value.map({"providers"});
  SsoSettings sso;
  const YamlValue& providers = map.require("providers", "a list of OpenID Connect providers");
  const auto items = providers.list("a list of OpenID Connect providers");
  if (items.size() > kMaxProviders) {
    providers.fail(std::to_string(items.size()) + " providers", "at most 16 providers");
  }
  std::set<std::string> names;
  for (const YamlValue& item : items) {
    OidcProviderSettings provider = read_provider(item, base);
    if (!names.insert(provider.name).second) {
      item.fail("a second provider named " + syntax::quoted(provider.name), "unique names");
    }
    sso.providers.push_back(std::move(provider));
  }
  return sso;
}

}  // namespace detail

void check_sso_against_policy(const BrokerConfig& config, const Policy& policy) {
  for (std::size_t i = 0; i < config.sso.providers.size(); ++i) {
    const OidcProviderSettings& provider = config.sso.providers[i];
    for (const auto& [idp_group, policy_group] : provider.group_map) {
      if (policy.idp_groups.contains(policy_group)) continue;
      const auto line = provider.group_map_lines.find(idp_group);
      const std::string problem =
          policy.groups.contains(policy_group)
              ? "'" + policy_group + "' is a static group in " + policy.file.string()
              : "no group '" + policy_group + "' in " + policy.file.string();
      throw ConfigError(config.file.string(),
                        line == provider.group_map_lines.end() ? 0 : line->second,
                        "sso.providers[" + std::to_string(i) + "].group_map." + idp_group, problem,
                        "a policy group declared with source: idp");
    }
  }
}

}  // namespace jit::config
