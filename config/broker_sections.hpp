// Internal to config/: readers for the sections of broker.yaml, one function per section. Paths
// that default under data_dir are left empty here and filled in by broker_config.cpp once
// data_dir (possibly overridden on the command line) is final.
#pragma once

#include "config/broker_config.hpp"
#include "config/yaml_reader.hpp"

#include <filesystem>

namespace jit::config::detail {

// `base` is the config file's folder: relative paths resolve against it.
[[nodiscard]] TlsSettings read_tls(const YamlValue& value, const std::filesystem::path& base);
[[nodiscard]] CaSettings read_ca(const YamlValue& value, const std::filesystem::path& base);
[[nodiscard]] Limits read_limits(const YamlValue& value);
[[nodiscard]] MfaSettings read_mfa(const YamlValue& value);
[[nodiscard]] SessionSettings read_sessions(const YamlValue& value);
[[nodiscard]] HttpSettings read_http(const YamlValue& value);
[[nodiscard]] WebhookSettings read_webhooks(const YamlValue& value,
                                            const std::filesystem::path& base);
[[nodiscard]] MetricsSettings read_metrics(const YamlValue& value,
                                           const std::filesystem::path& base);
// In audit_stream_section.cpp.
[[nodiscard]] AuditStreamSettings read_audit_stream(const YamlValue& value,
                                                    const std::filesystem::path& base);

// In sso_section.cpp.
[[nodiscard]] StoreSettings read_store(const YamlValue& value, const std::filesystem::path& base);
[[nodiscard]] SsoSettings read_sso(const YamlValue& value, const std::filesystem::path& base);

}  // namespace jit::config::detail
