#include "broker/service/ca_key_list.hpp"

#include "ca/atomic_file.hpp"
#include "ca/bytes.hpp"

#include <sstream>
#include <stdexcept>

namespace jit::broker {
namespace {

// The lines of a list file without comments, blank lines and trailing spaces; nullopt when the
// file does not exist.
std::optional<std::vector<std::string>> list_lines(const std::filesystem::path& file,
                                                   const char* what) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::nullopt;
  auto content = ca::read_file(file, 64 * 1024);
  if (!content)
    throw std::runtime_error(std::string("cannot read the ") + what + " " + file.string());
  std::istringstream lines{std::string(ca::as_chars(*content))};
  std::vector<std::string> out;
  for (std::string line; std::getline(lines, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    out.push_back(std::move(line));
  }
  if (out.empty())
    throw std::runtime_error(std::string("the ") + what + " " + file.string() + " is empty");
  return out;
}

void write_list(const std::filesystem::path& file, const std::string& text, const char* what) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (auto written = ca::write_file_atomically(file, ca::as_bytes(text), 0600); !written) {
    throw std::runtime_error(std::string("cannot write the ") + what + " " + file.string());
  }
}

constexpr const char* kSshList = "SSH CA key list";
constexpr const char* kX509List = "X.509 issuing CA list";

}  // namespace

std::filesystem::path ssh_key_list_file(const config::BrokerConfig& config) {
  return config.data_dir / "ca" / "ssh_keys.list";
}

std::filesystem::path x509_issuer_list_file(const config::BrokerConfig& config) {
  return config.data_dir / "ca" / "x509_issuers.list";
}

std::vector<X509IssuerFiles> x509_issuers(const config::BrokerConfig& config) {
  const auto file = x509_issuer_list_file(config);
  const auto lines = list_lines(file, kX509List);
  if (!lines) return {{config.ca.x509_issuing_cert_file, config.ca.x509_issuing_key_file}};
  std::vector<X509IssuerFiles> issuers;
  for (const auto& line : *lines) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos || tab == 0 || tab + 1 == line.size()) {
      throw std::runtime_error("the " + std::string(kX509List) + " " + file.string() +
                               " has a line without CERTIFICATE<tab>KEY");
    }
    issuers.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return issuers;
}

config::CaSettings ca_settings_with_key_list(const config::BrokerConfig& config) {
  config::CaSettings settings = config.ca;
  if (auto keys = list_lines(ssh_key_list_file(config), kSshList)) {
    settings.ssh_key_files.assign(keys->begin(), keys->end());
  }
  const auto issuers = x509_issuers(config);
  settings.x509_issuing_cert_file = issuers.front().certificate;
  settings.x509_issuing_key_file = issuers.front().key;
  return settings;
}

ca::X509CaHierarchy load_x509_ca_with_list(const config::BrokerConfig& config) {
  const auto issuers = x509_issuers(config);
  return load_x509_ca(ca_settings_with_key_list(config),
                      std::span<const X509IssuerFiles>(issuers).subspan(1));
}

void write_ssh_key_list(const config::BrokerConfig& config,
                        const std::vector<std::filesystem::path>& newest_first) {
  std::string text =
      "# SSH CA keys, newest first (the first signs): written by jit-broker ca rotate/retire\n";
  for (const auto& key : newest_first) text += key.string() + "\n";
  write_list(ssh_key_list_file(config), text, kSshList);
}

void write_x509_issuer_list(const config::BrokerConfig& config,
                            const std::vector<X509IssuerFiles>& newest_first) {
  std::string text =
      "# X.509 issuing CAs, newest first (the first signs), CERTIFICATE<tab>KEY: written by "
      "jit-broker ca rotate/retire\n";
  for (const auto& issuer : newest_first) {
    text += issuer.certificate.string() + "\t" + issuer.key.string() + "\n";
  }
  write_list(x509_issuer_list_file(config), text, kX509List);
}

}  // namespace jit::broker
