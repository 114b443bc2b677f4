// broker.yaml as typed settings. Every default lives here (member initialisers) and in
// examples/broker.yaml's comments; loading validates everything and throws ConfigError naming
// file, line, key and what is expected. Relative paths resolve against the config file's folder.
#pragma once

#include "config/config_error.hpp"
#include "config/duration.hpp"
#include "config/listen_address.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::config {

struct TlsSettings {
  bool dev_tls = false;  // generate a self-signed dev certificate on first start
  // Required when dev_tls is false; with dev_tls they default to <data_dir>/tls/server.{crt,key}
  // and name where the dev certificate is written.
  std::filesystem::path cert_file, key_file;
};

// CA keys on a PKCS#11 token (docs/operations.md "CA keys in an HSM (PKCS#11)"): the module p11-kit
// loads and where the user PIN comes from (exactly one of pin_env, pin_file; never inline).
struct Pkcs11Settings {
  std::filesystem::path module;
  std::optional<std::string> pin_env;
  std::optional<std::filesystem::path> pin_file;
};

struct CaSettings {
  bool generate_missing = false;  // dev: create missing CA keys on first start
  // Newest first: the first signs, all are published. Default {<data_dir>/ca/ssh_ca.key}. An
  // entry (and x509_issuing_key_file) may be a PKCS#11 URI "pkcs11:...", kept as written.
  std::vector<std::filesystem::path> ssh_key_files;
  std::string ssh_key_type = "ed25519";  // "ed25519" | "ecdsa-p256" (for generation)
  // Default <data_dir>/ca/x509_root.{key,crt} and <data_dir>/ca/x509_issuing.{key,crt}.
  std::filesystem::path x509_root_key_file, x509_root_cert_file, x509_issuing_key_file,
      x509_issuing_cert_file;
  std::string x509_key_type = "ecdsa-p256";   // "ecdsa-p256" | "ed25519" | "rsa-3072"
  std::optional<std::string> passphrase_env;  // name of an env var holding the passphrase
  std::optional<std::filesystem::path> passphrase_file;  // or a file (never both)
  std::optional<Pkcs11Settings> pkcs11;                  // required when a key is a "pkcs11:" URI
  Seconds clock_skew{30};  // certificates start this much before now; 0s..10m
  Seconds crl_next_update = std::chrono::minutes{5};  // CRL nextUpdate distance
  std::string crl_url;   // CRL distribution point URL; empty: no CDP extension
  std::string ocsp_url;  // OCSP responder URL (Authority Information Access); empty: no AIA
};

struct Limits {
  Seconds max_grant_duration = std::chrono::hours{8};       // no role may grant longer
  Seconds max_breakglass_duration = std::chrono::hours{1};  // no break-glass grant may last longer
  Seconds pending_timeout = std::chrono::hours{1};  // a pending request times out after this
  std::size_t max_pending_per_user_role = 3;        // pending requests of one user for one role
  std::size_t max_pending_per_user = 10;            // pending requests of one user in all
  // Audit records of failed logins per minute and per user (every unknown name counts as one
  // user); the rest are counted into the next record and /metrics.
  std::size_t failure_audit_per_minute = 20;
  // Password logins (POST /v1/login and its passkey form) before 429: a bucket of `burst` that
  // refills at `per_minute`, per source address (an IPv6 /64 as one) and for everyone together.
  // Raise the overall pair for a large organisation's morning sign-in wave; each login costs one
  // password hash on the password workers.
  std::size_t logins_per_source_per_minute = 60;
  std::size_t login_burst_per_source = 20;
  std::size_t logins_per_minute = 600;
  std::size_t login_burst = 40;
};

struct WebAuthnSettings {
  std::string rp_id = "localhost";                // a DNS name, never an IP (browsers refuse it)
  std::string origin = "https://localhost:8443";  // https://HOST[:PORT]; HOST is rp_id or under it
  bool require_user_verification = false;
};

struct MfaSettings {
  Seconds freshness = std::chrono::minutes{5};     // an MFA proof counts as fresh this long
  int totp_max_failures = 5;                       // failures before the account locks
  Seconds lockout_base = std::chrono::minutes{1};  // base of the lockout backoff after failures
  WebAuthnSettings webauthn;
};

struct SessionSettings {
  Seconds idle_timeout = std::chrono::minutes{15};
  Seconds absolute_timeout = std::chrono::hours{8};  // never shorter than idle_timeout
};

struct HttpSettings {
  std::size_t max_body_bytes = 65536;
  std::size_t max_header_bytes = 8192;
  Seconds read_timeout{10};
  int threads = 0;  // 0 = one per core
  // Connection slots. When a cap is reached, the oldest connection still in its TLS handshake (of
  // that source, for the per-source cap) is closed to make room; when none is, the new one is.
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_source = 64;  // by client IP address
  Seconds first_byte_timeout{3};  // a new connection's first TLS byte; then read_timeout
};

// How the POSTs to one webhook URL are signed (README, "Verifying webhook deliveries"): a secret
// from a file (mode 0600, checked when the config is read) or an environment variable (read when
// the broker starts); neither: unsigned. 16 to 1024 visible ASCII characters.
struct WebhookSigning {
  std::optional<std::filesystem::path> secret_file;
  std::optional<std::string> secret_env;
  std::string key;  // where it was configured ("webhooks.urls[0]"), for start-up errors
};

// The body a webhook URL is sent (docs/api.md, "Webhooks"): the event as JSON, or a Slack or
// Teams chat message about it (broker/workers/chat_formats.hpp).
enum class WebhookFormat { json, slack, teams };

struct WebhookSettings {
  std::vector<std::string> urls;        // http:// or https://; each event is POSTed to every URL
  std::vector<WebhookSigning> signing;  // signing[i] for urls[i]
  std::vector<WebhookFormat> formats;   // formats[i] for urls[i]
  Seconds timeout{5};
  int max_attempts = 5;
  // Delivered events older than this are deleted from the outbox (the audit log keeps them).
  Seconds keep_delivered = std::chrono::hours{24 * 30};
};

// GET /metrics is open unless a bearer token is named here (one source, never both); the broker
// reads it at start-up and then answers /metrics only with `Authorization: Bearer TOKEN`.
struct MetricsSettings {
  std::optional<std::string> bearer_token_env;             // name of an env var holding the token
  std::optional<std::filesystem::path> bearer_token_file;  // or a file, mode 0600
};

// Where every audit record is also written, in order (docs/architecture.md, "Audit stream"): a
// syslog server over TLS (RFC 5424 messages, RFC 6587 octet-counted framing) and/or a JSON-lines
// file with size-based rotation. Each sink keeps its own position in the database.
struct SyslogSinkSettings {
  std::string host;               // a DNS name or an IP literal (IPv6 without brackets)
  std::uint16_t port = 0;         // 1..65535
  std::filesystem::path ca_file;  // the server certificate must chain to a CA in this PEM file
  std::string server_name;        // the name the certificate must carry; default: host
  std::optional<std::filesystem::path> client_cert_file, client_key_file;  // both or neither
  std::string app_name = "jit-broker";  // RFC 5424 APP-NAME: 1..48 printable ASCII
  Seconds timeout{10};  // connect + handshake, and each write with its acknowledgement
};

struct FileSinkSettings {
  std::filesystem::path path;
  std::uint64_t max_bytes = 100ull * 1024 * 1024;  // rotate before a line would pass this size
  int keep = 5;  // rotated files kept: path.1 (newest) .. path.keep
};

struct AuditStreamSettings {
  std::optional<SyslogSinkSettings> syslog;
  std::optional<FileSinkSettings> file;
};

// One OpenID Connect identity provider people may sign in with (docs/sso.md). Read from
// `sso.providers` in broker.yaml; the client secret comes from an env var or a file, never inline.
struct OidcProviderSettings {
  std::string name;          // [a-z0-9-]{1,32}; appears in URLs: /v1/auth/sso/{name}/...
  std::string display_name;  // shown on the page as "Sign in with <display_name>"; default name
  std::string issuer;        // https URL, compared exactly with the ID token's `iss`
  std::string client_id;
  std::optional<std::string> client_secret_env;                   // exactly one of env and file
  std::optional<std::filesystem::path> client_secret_file;        // mode 0600 or stricter
  std::vector<std::string> scopes{"openid", "profile", "email"};  // always contains "openid"
  std::string groups_claim = "groups";
  // IdP group name -> policy group. Only groups declared `source: idp` in the policy may appear
  // on the right; IdP groups not listed here are ignored.
  std::map<std::string, std::string> group_map;
  std::map<std::string, int> group_map_lines;  // line of each group_map entry, for errors found
                                               // when the map is checked against the policy
  // The claim whose value becomes the broker user name; when it is absent, the local part of
  // `email` is used. The result must satisfy the policy's user name rules.
  std::string username_claim = "preferred_username";
  std::vector<std::string> mfa_amr;  // `amr` values that count as MFA at login
  std::vector<std::string> mfa_acr;  // `acr` values that count as MFA at login
  std::string redirect_uri;          // exact: https://<broker>/v1/auth/sso/<name>/callback
  std::optional<std::filesystem::path> ca_file;  // trust anchors for the IdP; default: system's
  std::vector<std::string> algorithms{"RS256", "ES256", "EdDSA"};  // allowed ID token `alg`s
  Seconds clock_skew = std::chrono::seconds{60};
  Seconds session_cap = std::chrono::hours{8};  // an SSO session never outlives this
};

struct SsoSettings {
  std::vector<OidcProviderSettings> providers;  // names unique
};

// How the daemon's log lines on stderr look (docs/operations.md "Logs"): `text` is one readable
// "jit-broker: LEVEL: EVENT key=value ..." line, `json` one JSON object per line for collectors.
enum class LogFormat { text, json };

// Where the broker keeps its state (docs/architecture.md, "Store backends (SQLite and
// PostgreSQL)"): the SQLite file <data_dir>/broker.db (default), or a PostgreSQL database whose
// libpq connection string or URL comes from an environment variable or a file, never from
// broker.yaml itself (it carries the password).
enum class StoreBackend { sqlite, postgresql };

struct StoreSettings {
  StoreBackend backend = StoreBackend::sqlite;
  std::optional<std::string> url_env;             // postgresql: exactly one of these two
  std::optional<std::filesystem::path> url_file;  // mode 0600, checked when the broker opens it
};

struct BrokerConfig {
  std::filesystem::path file;  // the config file itself (absolute)
  ListenAddress listen{"127.0.0.1", 8443};
  std::filesystem::path data_dir;       // absolute after loading
  std::filesystem::path policy_file;    // absolute
  std::filesystem::path data_key_file;  // default <data_dir>/data.key (encrypts TOTP secrets)
  TlsSettings tls;
  CaSettings ca;
  Limits limits;
  MfaSettings mfa;
  SessionSettings sessions;
  HttpSettings http;
  WebhookSettings webhooks;
  MetricsSettings metrics;
  AuditStreamSettings audit_stream;
  SsoSettings sso;
  StoreSettings store;
  LogFormat log_format = LogFormat::text;
};

// Command-line values that take precedence over the file. They are applied before the defaults
// derived from data_dir (CA, TLS and data key paths), so those follow an overridden data_dir.
struct BrokerConfigOverrides {
  std::optional<ListenAddress> listen;
  std::optional<std::filesystem::path> data_dir;  // relative: against the current directory
};

// Throw ConfigError. parse_* takes the text directly (tests); `file` names it in errors and its
// folder anchors relative paths.
[[nodiscard]] BrokerConfig load_broker_config(const std::filesystem::path& file);
[[nodiscard]] BrokerConfig load_broker_config(const std::filesystem::path& file,
                                              const BrokerConfigOverrides& overrides);
[[nodiscard]] BrokerConfig parse_broker_config(std::string_view yaml,
                                               const std::filesystem::path& file);
[[nodiscard]] BrokerConfig parse_broker_config(std::string_view yaml,
                                               const std::filesystem::path& file,
                                               const BrokerConfigOverrides& overrides);

}  // namespace jit::config
