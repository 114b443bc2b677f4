#include "config/broker_sections.hpp"

#include "config/secret_file.hpp"
#include "config/syntax.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <optional>

namespace jit::config::detail {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr Seconds kDay = hours{24};

std::string one_of(const YamlValue& value, std::initializer_list<std::string_view> choices) {
  std::string expected = "one of";
  for (std::string_view choice : choices) expected += " " + std::string(choice);
  std::string text = value.string(expected);
  if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
    value.fail("'" + text + "' is not supported", expected);
  }
  return text;
}

// A webhook secret file: private to the broker's user, 16 to 1024 visible ASCII characters and
// an optional line break. Its text is not kept; the broker reads it again when it starts.
void check_secret_file(const YamlValue& value, const std::filesystem::path& file) {
  const std::string expected = "a file (mode 0600) holding 16 to 1024 visible ASCII characters";
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    value.fail("cannot read the secret file " + file.string(), expected);
  }
  if (auto exposed = secret_file_exposure(file, "the secret file")) value.fail(*exposed, expected);
  std::ifstream in(file, std::ios::binary);
  std::string text(1026, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) value.fail("cannot read the secret file " + file.string(), expected);
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.ends_with("\r\n")) {
    text.resize(text.size() - 2);
  } else if (text.ends_with('\n')) {
    text.pop_back();
  }
  const bool visible =
      std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7F; });
  const bool fits = text.size() >= 16 && text.size() <= 1024;
  std::fill(text.begin(), text.end(), '\0');
  if (!visible || !fits) {
    value.fail("the secret file " + file.string() + " does not hold a usable secret", expected);
  }
}

WebhookSigning read_webhook_signing(const YamlMap& entry, const std::filesystem::path& base) {
  WebhookSigning signing;
  signing.key = entry.self().key();
  if (const YamlValue* v = entry.find("secret_env")) {
    std::string name = v->string("an environment variable name");
    if (!syntax::is_env_var_name(name)) {
      v->fail("'" + name + "' is not an environment variable name", "[A-Za-z_][A-Za-z0-9_]*");
    }
    signing.secret_env = std::move(name);
  }
  if (const YamlValue* v = entry.find("secret_file")) {
    if (signing.secret_env) {
      v->fail("secret_env and secret_file are both set",
              "one secret source: secret_env or secret_file");
    }
    signing.secret_file = v->path(base);
    check_secret_file(*v, *signing.secret_file);
  }
  return signing;
}

}  // namespace

TlsSettings read_tls(const YamlValue& value, const std::filesystem::path& base) {
  const YamlMap map = value.map({"dev_tls", "cert_file", "key_file"});
  TlsSettings tls;
  if (const YamlValue* v = map.find("dev_tls")) tls.dev_tls = v->boolean();
  if (const YamlValue* v = map.find("cert_file")) tls.cert_file = v->path(base);
  if (const YamlValue* v = map.find("key_file")) tls.key_file = v->path(base);
  if (!tls.dev_tls) {
    // A production broker must be told its certificate; guessing a path would hide a mistake.
    if (tls.cert_file.empty()) {
      map.fail_missing("cert_file", "the server certificate (PEM) path, or dev_tls: true");
    }
    if (tls.key_file.empty()) {
      map.fail_missing("key_file", "the server private key (PEM) path, or dev_tls: true");
    }
  }
  return tls;
}

namespace {

// RFC 7512: the scheme is case-insensitive.
bool names_pkcs11_uri(std::string_view text) {
  constexpr std::string_view kScheme = "pkcs11:";
  if (text.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != kScheme[i]) return false;
  }
  return true;
}

// A CA key: a file path (relative to the config's folder) or a PKCS#11 URI kept as written, which
// needs the ca.pkcs11 section.
std::filesystem::path ca_key_location(const YamlValue& v, const std::filesystem::path& base,
                                      const CaSettings& ca) {
  const std::string text = v.string("a key file path or a pkcs11: URI");
  if (!names_pkcs11_uri(text)) return v.path(base);
  if (!ca.pkcs11) {
    v.fail("a pkcs11: URI needs the PKCS#11 module and PIN",
           "ca.pkcs11 with module and pin_env or pin_file");
  }
  if (text.find("pin-value=") != std::string::npos ||
      text.find("pin-source=") != std::string::npos) {
    v.fail("the URI carries a PIN", "the PIN in ca.pkcs11.pin_env or ca.pkcs11.pin_file");
  }
  return std::filesystem::path(text);
}

Pkcs11Settings read_pkcs11(const YamlValue& value, const std::filesystem::path& base) {
  const YamlMap map = value.map({"module", "pin_env", "pin_file"});
  Pkcs11Settings pkcs11;
  const YamlValue* module = map.find("module");
  if (module == nullptr) map.fail_missing("module", "the PKCS#11 module path (.so)");
  pkcs11.module = module->path(base);
  if (const YamlValue* v = map.find("pin_env")) {
    std::string name = v->string("an environment variable name");
    if (!syntax::is_env_var_name(name)) {
      v->fail("'" + name + "' is not an environment variable name", "[A-Za-z_][A-Za-z0-9_]*");
    }
    pkcs11.pin_env = std::move(name);
  }
  if (const YamlValue* v = map.find("pin_file")) {
    if (pkcs11.pin_env) {
      v->fail("pin_env and pin_file are both set", "one PIN source: pin_env or pin_file");
    }
    pkcs11.pin_file = v->path(base);
  }
  if (!pkcs11.pin_env && !pkcs11.pin_file) {
    map.fail_missing("pin_env", "where the token's user PIN comes from: pin_env or pin_file");
  }
  return pkcs11;
}

}  // namespace

CaSettings read_ca(const YamlValue& value, const std::filesystem::path& base) {
  const YamlMap map =
      value.map({"generate_missing", "ssh_key_files", "ssh_key_type", "x509_root_key_file",
                 "x509_root_cert_file", "x509_issuing_key_file", "x509_issuing_cert_file",
                 "x509_key_type", "passphrase_env", "passphrase_file", "clock_skew",
                 "crl_next_update", "crl_url", "ocsp_url", "pkcs11"});
  CaSettings ca;
  if (const YamlValue* v = map.find("pkcs11")) ca.pkcs11 = read_pkcs11(*v, base);
  if (const YamlValue* v = map.find("generate_missing")) ca.generate_missing = v->boolean();
  if (const YamlValue* v = map.find("ssh_key_files")) {
    const auto items = v->list("a list of SSH CA key paths or pkcs11: URIs, newest first");
    if (items.empty()) v->fail("the list is empty", "at least one SSH CA key path");
    for (const YamlValue& item : items) ca.ssh_key_files.push_back(ca_key_location(item, base, ca));
  }
  if (const YamlValue* v = map.find("ssh_key_type")) {
    ca.ssh_key_type = one_of(*v, {"ed25519", "ecdsa-p256"});
  }
  if (const YamlValue* v = map.find("x509_root_key_file")) ca.x509_root_key_file = v->path(base);
  if (const YamlValue* v = map.find("x509_root_cert_file")) ca.x509_root_cert_file = v->path(base);
  if (const YamlValue* v = map.find("x509_issuing_key_file")) {
    ca.x509_issuing_key_file = ca_key_location(*v, base, ca);
  }
  if (const YamlValue* v = map.find("x509_issuing_cert_file")) {
    ca.x509_issuing_cert_file = v->path(base);
  }
  if (const YamlValue* v = map.find("x509_key_type")) {
    ca.x509_key_type = one_of(*v, {"ecdsa-p256", "ed25519", "rsa-3072"});
  }
  if (const YamlValue* v = map.find("passphrase_env")) {
    std::string name = v->string("an environment variable name");
    if (!syntax::is_env_var_name(name)) {
      v->fail("'" + name + "' is not an environment variable name", "[A-Za-z_][A-Za-z0-9_]*");
    }
    ca.passphrase_env = std::move(name);
  }
  if (const YamlValue* v = map.find("passphrase_file")) {
    if (ca.passphrase_env) {
      v->fail("passphrase_env and passphrase_file are both set",
              "one passphrase source: passphrase_env or passphrase_file");
    }
    ca.passphrase_file = v->path(base);
  }
  if (const YamlValue* v = map.find("clock_skew"))
    ca.clock_skew = v->duration(Seconds{0}, minutes{10});
  if (const YamlValue* v = map.find("crl_next_update")) {
    ca.crl_next_update = v->duration(minutes{1}, 7 * kDay);
  }
  if (const YamlValue* v = map.find("crl_url")) {
    ca.crl_url = v->string("an http:// or https:// URL");
    if (!syntax::is_http_url(ca.crl_url, false)) {
      v->fail("'" + ca.crl_url + "' is not a URL", "an http:// or https:// URL");
    }
  }
  if (const YamlValue* v = map.find("ocsp_url")) {
    ca.ocsp_url = v->string("an http:// or https:// URL");
    if (!syntax::is_http_url(ca.ocsp_url, false)) {
      v->fail("'" + ca.ocsp_url + "' is not a URL", "an http:// or https:// URL");
    }
  }
  return ca;
}

Limits read_limits(const YamlValue& value) {
  const YamlMap map = value.map({"max_grant_duration", "max_breakglass_duration", "pending_timeout",
                                 "max_pending_per_user_role", "max_pending_per_user",
                                 "failure_audit_per_minute", "logins_per_source_per_minute",
                                 "login_burst_per_source", "logins_per_minute", "login_burst"});
  Limits limits;
  if (const YamlValue* v = map.find("max_grant_duration")) {
    limits.max_grant_duration = v->duration(minutes{1}, 30 * kDay);
  }
  if (const YamlValue* v = map.find("max_breakglass_duration")) {
    limits.max_breakglass_duration = v->duration(minutes{1}, 7 * kDay);
  }
  if (const YamlValue* v = map.find("pending_timeout")) {
    limits.pending_timeout = v->duration(minutes{1}, 30 * kDay);
  }
  if (const YamlValue* v = map.find("max_pending_per_user_role")) {
    limits.max_pending_per_user_role = static_cast<std::size_t>(v->integer(1, 1000));
  }
  if (const YamlValue* v = map.find("max_pending_per_user")) {
    limits.max_pending_per_user = static_cast<std::size_t>(v->integer(1, 10'000));
  }
  if (const YamlValue* v = map.find("failure_audit_per_minute")) {
    limits.failure_audit_per_minute = static_cast<std::size_t>(v->integer(1, 100'000));
  }
  const auto count = [&map](const char* key, std::size_t& field, std::int64_t most) {
    if (const YamlValue* v = map.find(key)) field = static_cast<std::size_t>(v->integer(1, most));
  };
  count("logins_per_source_per_minute", limits.logins_per_source_per_minute, 60'000);
  count("login_burst_per_source", limits.login_burst_per_source, 10'000);
  count("logins_per_minute", limits.logins_per_minute, 600'000);
  count("login_burst", limits.login_burst, 100'000);
  return limits;
}

namespace {

WebAuthnSettings read_webauthn(const YamlValue& value) {
  const YamlMap map = value.map({"rp_id", "origin", "require_user_verification"});
  WebAuthnSettings webauthn;
  if (const YamlValue* v = map.find("rp_id")) {
    webauthn.rp_id = v->string("a DNS name such as localhost or corp.example");
    if (!syntax::is_dns_name(webauthn.rp_id)) {
      v->fail("'" + webauthn.rp_id + "' is not a DNS name (browsers refuse IP addresses)",
              "a DNS name such as localhost or corp.example");
    }
  }
  const YamlValue* origin = map.find("origin");
  if (origin) webauthn.origin = origin->string("https://HOST or https://HOST:PORT");
  const auto host = syntax::origin_host(webauthn.origin);
  const YamlValue& where = origin ? *origin : map.self();
  if (!host) {
    where.fail("'" + webauthn.origin + "' is not a web origin",
               "https://HOST or https://HOST:PORT with a DNS name, no path");
  }
  // WebAuthn: the rp_id must be the origin's host or a domain that contains it.
  const bool matches = *host == webauthn.rp_id || (host->size() > webauthn.rp_id.size() &&
                                                   host->ends_with("." + webauthn.rp_id));
  if (!matches) {
    where.fail("the origin's host '" + std::string(*host) + "' is not rp_id '" + webauthn.rp_id +
                   "' or under it",
               "an origin on rp_id or one of its subdomains");
  }
  if (const YamlValue* v = map.find("require_user_verification")) {
    webauthn.require_user_verification = v->boolean();
  }
  return webauthn;
}

}  // namespace

MfaSettings read_mfa(const YamlValue& value) {
  const YamlMap map = value.map({"freshness", "totp_max_failures", "lockout_base", "webauthn"});
  MfaSettings mfa;
  if (const YamlValue* v = map.find("freshness"))
    mfa.freshness = v->duration(Seconds{10}, hours{1});
  if (const YamlValue* v = map.find("totp_max_failures")) {
    mfa.totp_max_failures = static_cast<int>(v->integer(1, 100));
  }
  if (const YamlValue* v = map.find("lockout_base")) {
    mfa.lockout_base = v->duration(Seconds{1}, kDay);
  }
  if (const YamlValue* v = map.find("webauthn")) mfa.webauthn = read_webauthn(*v);
  return mfa;
}

SessionSettings read_sessions(const YamlValue& value) {
  const YamlMap map = value.map({"idle_timeout", "absolute_timeout"});
  SessionSettings sessions;
  const YamlValue* idle = map.find("idle_timeout");
  const YamlValue* absolute = map.find("absolute_timeout");
  if (idle) sessions.idle_timeout = idle->duration(minutes{1}, kDay);
  if (absolute) sessions.absolute_timeout = absolute->duration(minutes{1}, 30 * kDay);
  if (sessions.absolute_timeout < sessions.idle_timeout) {
    (absolute ? *absolute : *idle)
        .fail("absolute_timeout " + format_duration(sessions.absolute_timeout) +
                  " is shorter than idle_timeout " + format_duration(sessions.idle_timeout),
              "absolute_timeout at least as long as idle_timeout");
  }
  return sessions;
}

HttpSettings read_http(const YamlValue& value) {
  const YamlMap map =
      value.map({"max_body_bytes", "max_header_bytes", "read_timeout", "threads", "max_connections",
                 "max_connections_per_source", "first_byte_timeout"});
  HttpSettings http;
  if (const YamlValue* v = map.find("max_body_bytes")) {
    http.max_body_bytes = static_cast<std::size_t>(v->integer(1024, 64 * 1024 * 1024));
  }
  if (const YamlValue* v = map.find("max_header_bytes")) {
    http.max_header_bytes = static_cast<std::size_t>(v->integer(1024, 1024 * 1024));
  }
  if (const YamlValue* v = map.find("read_timeout")) {
    http.read_timeout = v->duration(Seconds{1}, minutes{10});
  }
  if (const YamlValue* v = map.find("threads")) http.threads = static_cast<int>(v->integer(0, 256));
  if (const YamlValue* v = map.find("max_connections")) {
    http.max_connections = static_cast<std::size_t>(v->integer(8, 1'000'000));
  }
  if (const YamlValue* v = map.find("max_connections_per_source")) {
    http.max_connections_per_source = static_cast<std::size_t>(v->integer(1, 1'000'000));
  }
  if (const YamlValue* v = map.find("first_byte_timeout")) {
    http.first_byte_timeout = v->duration(Seconds{1}, minutes{10});
  }
  return http;
}

WebhookSettings read_webhooks(const YamlValue& value, const std::filesystem::path& base) {
  const YamlMap map = value.map({"urls", "timeout", "max_attempts", "keep_delivered"});
  WebhookSettings webhooks;
  if (const YamlValue* v = map.find("urls")) {
    for (const YamlValue& item :
         v->list("a list of URLs, or of {url, secret_file | secret_env, format}")) {
      WebhookSigning signing;
      WebhookFormat format = WebhookFormat::json;
      signing.key = item.key();
      std::optional<YamlMap> entry;
      const YamlValue* url_value = &item;
      if (item.is_map()) {
        entry.emplace(item.map({"url", "secret_file", "secret_env", "format"}));
        url_value = &entry->require("url", "an http:// or https:// URL");
        signing = read_webhook_signing(*entry, base);
        if (const YamlValue* f = entry->find("format")) {
          const std::string name = one_of(*f, {"json", "slack", "teams"});
          format = name == "slack"   ? WebhookFormat::slack
                   : name == "teams" ? WebhookFormat::teams
                                     : WebhookFormat::json;
        }
      }
      std::string url = url_value->string("an http:// or https:// URL");
      if (!syntax::is_http_url(url, false)) {
        url_value->fail("'" + url + "' is not a URL", "an http:// or https:// URL");
      }
      webhooks.urls.push_back(std::move(url));
      webhooks.signing.push_back(std::move(signing));
      webhooks.formats.push_back(format);
    }
  }
  if (const YamlValue* v = map.find("timeout"))
    webhooks.timeout = v->duration(Seconds{1}, minutes{5});
  if (const YamlValue* v = map.find("max_attempts")) {
    webhooks.max_attempts = static_cast<int>(v->integer(1, 100));
  }
  if (const YamlValue* v = map.find("keep_delivered")) {
    webhooks.keep_delivered = v->duration(hours{1}, 3650 * kDay);
  }
  return webhooks;
}

MetricsSettings read_metrics(const YamlValue& value, const std::filesystem::path& base) {
  const YamlMap map = value.map({"bearer_token_env", "bearer_token_file"});
  MetricsSettings metrics;
  if (const YamlValue* v = map.find("bearer_token_env")) {
    std::string name = v->string("an environment variable name");
    if (!syntax::is_env_var_name(name)) {
      v->fail("'" + name + "' is not an environment variable name", "[A-Za-z_][A-Za-z0-9_]*");
    }
    metrics.bearer_token_env = std::move(name);
  }
  if (const YamlValue* v = map.find("bearer_token_file")) {
    if (metrics.bearer_token_env) {
      v->fail("bearer_token_env and bearer_token_file are both set",
              "one token source: bearer_token_env or bearer_token_file");
    }
    metrics.bearer_token_file = v->path(base);
  }
  return metrics;
}

}  // namespace jit::config::detail
