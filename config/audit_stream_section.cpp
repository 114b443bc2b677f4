// broker.yaml's `audit_stream` section (docs/operations.md, "Audit stream to a SIEM"): a syslog
// server over TLS and/or a JSON-lines file. Everything that can be checked before the broker runs
// is checked here, so a mistake is a start-up error naming file, line and key rather than a sink
// that silently never sends.
#include "config/broker_sections.hpp"
#include "config/syntax.hpp"

#include <sys/stat.h>

#include <algorithm>

namespace jit::config::detail {
namespace {

constexpr const char* kSyslogAddressExpected = "HOST:PORT or [IPV6]:PORT, port 1..65535";

void require_regular_file(const YamlValue& value, const std::filesystem::path& file,
                          std::string_view what) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    value.fail("cannot read " + file.string(), std::string(what));
  }
}

void read_syslog_address(const YamlValue& value, SyslogSinkSettings& syslog) {
  const std::string text = value.string(kSyslogAddressExpected);
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string::npos)
      value.fail("'" + text + "' has no ]:PORT", kSyslogAddressExpected);
    host = std::string_view(text).substr(1, close - 1);
    port = std::string_view(text).substr(close + 2);
    if (!syntax::is_ipv6(host)) {
      value.fail("'" + std::string(host) + "' is not an IPv6 address", kSyslogAddressExpected);
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos)
      value.fail("'" + text + "' has no :PORT", kSyslogAddressExpected);
    host = std::string_view(text).substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
    if (!syntax::is_dns_name(host) && !syntax::is_ipv4(host)) {
      value.fail("'" + std::string(host) + "' is not a host name or IPv4 address",
                 kSyslogAddressExpected);
    }
  }
  const auto number = syntax::parse_port(port);
  if (!number || *number == 0) {
    value.fail("'" + std::string(port) + "' is not a port", kSyslogAddressExpected);
  }
  syslog.host = std::string(host);
  syslog.port = static_cast<std::uint16_t>(*number);
}

// RFC 5424 APP-NAME: 1 to 48 printable US-ASCII characters, no space.
bool is_app_name(std::string_view text) {
  return !text.empty() && text.size() <= 48 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

SyslogSinkSettings read_syslog_sink(const YamlValue& value, const std::filesystem::path& base) {
  const YamlMap map = value.map({"address", "ca_file", "server_name", "client_cert_file",
                                 "client_key_file", "app_name", "timeout"});
  SyslogSinkSettings syslog;
  read_syslog_address(map.require("address", kSyslogAddressExpected), syslog);
  const YamlValue& ca = map.require("ca_file",
                                    "the PEM file of the CA the server certificate "
                                    "chains to");
  syslog.ca_file = ca.path(base);
  require_regular_file(ca, syslog.ca_file, "a readable PEM file of CA certificates");
  syslog.server_name = syslog.host;
  if (const YamlValue* v = map.find("server_name")) {
    syslog.server_name = v->string("the DNS name or IP address the server certificate names");
    if (!syntax::is_dns_name(syslog.server_name) && !syntax::is_ipv4(syslog.server_name) &&
        !syntax::is_ipv6(syslog.server_name)) {
      v->fail("'" + syslog.server_name + "' is not a host name or IP address",
              "the DNS name or IP address the server certificate names");
    }
  }
  const YamlValue* cert = map.find("client_cert_file");
  const YamlValue* key = map.find("client_key_file");
  if ((cert == nullptr) != (key == nullptr)) {
    const YamlValue& set = cert ? *cert : *key;
    set.fail("only one of client_cert_file and client_key_file is set",
             "both (TLS client authentication) or neither");
  }
  if (cert) {
    syslog.client_cert_file = cert->path(base);
    require_regular_file(*cert, *syslog.client_cert_file, "a readable PEM certificate chain");
    syslog.client_key_file = key->path(base);
    require_regular_file(*key, *syslog.client_key_file, "a readable PEM private key");
  }
  if (const YamlValue* v = map.find("app_name")) {
    syslog.app_name = v->string("1 to 48 printable ASCII characters without spaces");
    if (!is_app_name(syslog.app_name)) {
      v->fail(syntax::quoted(syslog.app_name) + " is not an RFC 5424 APP-NAME",
              "1 to 48 printable ASCII characters without spaces");
    }
  }
  if (const YamlValue* v = map.find("timeout")) {
    syslog.timeout = v->duration(Seconds{1}, std::chrono::minutes{5});
  }
  return syslog;
}

FileSinkSettings read_file_sink(const YamlValue& value, const std::filesystem::path& base) {
  const YamlMap map = value.map({"path", "max_bytes", "keep"});
  FileSinkSettings file;
  const YamlValue& path_value = map.require("path", "the JSON-lines file the audit records go to");
  file.path = path_value.path(base);
  struct stat info {};
  const auto folder = file.path.parent_path();
  if (::stat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    path_value.fail("the folder " + folder.string() + " does not exist",
                    "a file in an existing folder");
  }
  if (const YamlValue* v = map.find("max_bytes")) {
    file.max_bytes = static_cast<std::uint64_t>(v->integer(4096, std::int64_t{1} << 40));
  }
  if (const YamlValue* v = map.find("keep")) file.keep = static_cast<int>(v->integer(1, 1000));
  return file;
}

}  // namespace

AuditStreamSettings read_audit_stream(const YamlValue& value, const std::filesystem::path& base) {
  const YamlMap map = value.map({"syslog", "file"});
  AuditStreamSettings stream;
  if (const YamlValue* v = map.find("syslog")) stream.syslog = read_syslog_sink(*v, base);
  if (const YamlValue* v = map.find("file")) stream.file = read_file_sink(*v, base);
  return stream;
}

}  // namespace jit::config::detail
