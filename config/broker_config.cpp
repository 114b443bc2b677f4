#include "config/broker_config.hpp"

#include "config/broker_sections.hpp"
#include "config/yaml_reader.hpp"

#include <system_error>

namespace jit::config {
namespace {

using detail::YamlMap;
using detail::YamlValue;

std::filesystem::path absolute_path(const std::filesystem::path& path, const std::string& file) {
  std::error_code ec;
  auto result = std::filesystem::absolute(path, ec);
  if (ec) {
    throw ConfigError(file, 0, "", "cannot make '" + path.string() + "' absolute: " + ec.message(),
                      "a current directory that exists");
  }
  return result.lexically_normal();
}

void default_path(std::filesystem::path& path, const std::filesystem::path& fallback) {
  if (path.empty()) path = fallback;
}

// Fills the paths that default under data_dir. Runs after overrides, so that `--data-dir` moves
// the CA keys, TLS files and data key along with the database.
void apply_data_dir_defaults(BrokerConfig& config) {
  const std::filesystem::path& dir = config.data_dir;
  default_path(config.data_key_file, dir / "data.key");
  if (config.tls.dev_tls) {
    default_path(config.tls.cert_file, dir / "tls" / "server.crt");
    default_path(config.tls.key_file, dir / "tls" / "server.key");
  }
  CaSettings& ca = config.ca;
  if (ca.ssh_key_files.empty()) ca.ssh_key_files.push_back(dir / "ca" / "ssh_ca.key");
  default_path(ca.x509_root_key_file, dir / "ca" / "x509_root.key");
  default_path(ca.x509_root_cert_file, dir / "ca" / "x509_root.crt");
  default_path(ca.x509_issuing_key_file, dir / "ca" / "x509_issuing.key");
  default_path(ca.x509_issuing_cert_file, dir / "ca" / "x509_issuing.crt");
}

}  // namespace

BrokerConfig parse_broker_config(std::string_view yaml, const std::filesystem::path& file,
                                 const BrokerConfigOverrides& overrides) {
  const std::string file_name = file.string();
  BrokerConfig config;
  config.file = absolute_path(file, file_name);
  const std::filesystem::path base = config.file.parent_path();

  const YamlValue root = detail::load_document(yaml, file_name);
  const YamlMap map = root.map({"listen", "data_dir", "policy_file", "data_key_file", "tls", "ca",
                                "limits", "mfa", "sessions", "http", "webhooks", "metrics",
                                "audit_stream", "sso", "store", "log_format"});
  if (const YamlValue* v = map.find("listen")) {
    const std::string text = v->string("IPV4:PORT or [IPV6]:PORT");
    auto parsed = try_parse_listen_address(text);
    if (!parsed.address) v->fail(parsed.problem->message, parsed.problem->expected);
    config.listen = *parsed.address;
  }
  config.data_dir =
      map.require("data_dir", "the folder for the database and generated keys").path(base);
  config.policy_file = map.require("policy_file", "the path of the policy file").path(base);
  if (const YamlValue* v = map.find("data_key_file")) config.data_key_file = v->path(base);
  config.tls = detail::read_tls(
      map.require("tls", "a tls map: dev_tls: true, or cert_file and key_file"), base);
  if (const YamlValue* v = map.find("ca")) config.ca = detail::read_ca(*v, base);
  if (const YamlValue* v = map.find("limits")) config.limits = detail::read_limits(*v);
  if (const YamlValue* v = map.find("mfa")) config.mfa = detail::read_mfa(*v);
  if (const YamlValue* v = map.find("sessions")) config.sessions = detail::read_sessions(*v);
  if (const YamlValue* v = map.find("http")) config.http = detail::read_http(*v);
  if (const YamlValue* v = map.find("webhooks")) config.webhooks = detail::read_webhooks(*v, base);
  if (const YamlValue* v = map.find("metrics")) config.metrics = detail::read_metrics(*v, base);
  if (const YamlValue* v = map.find("audit_stream")) {
    config.audit_stream = detail::read_audit_stream(*v, base);
  }
  if (const YamlValue* v = map.find("sso")) config.sso = detail::read_sso(*v, base);
  if (const YamlValue* v = map.find("store")) config.store = detail::read_store(*v, base);
  if (const YamlValue* v = map.find("log_format")) {
    const std::string format = v->string("text or json");
    if (format == "json") {
      config.log_format = LogFormat::json;
    } else if (format != "text") {
      v->fail("'" + format + "' is not a log format", "text or json");
    }
  }

  if (overrides.listen) config.listen = *overrides.listen;
  if (overrides.data_dir) config.data_dir = absolute_path(*overrides.data_dir, file_name);
  apply_data_dir_defaults(config);
  return config;
}

BrokerConfig parse_broker_config(std::string_view yaml, const std::filesystem::path& file) {
  return parse_broker_config(yaml, file, BrokerConfigOverrides{});
}

BrokerConfig load_broker_config(const std::filesystem::path& file,
                                const BrokerConfigOverrides& overrides) {
  return parse_broker_config(detail::read_config_file(file), file, overrides);
}

BrokerConfig load_broker_config(const std::filesystem::path& file) {
  return load_broker_config(file, BrokerConfigOverrides{});
}

}  // namespace jit::config
