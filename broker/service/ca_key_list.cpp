#include "broker/service/ca_key_list.hpp"

#include "ca/atomic_file.hpp"
#include "ca/bytes.hpp"

#include <sstream>
#include <stdexcept>

namespace jit::broker {

std::filesystem::path ssh_key_list_file(const config::BrokerConfig& config) {
  return config.data_dir / "ca" / "ssh_keys.list";
}

config::CaSettings ca_settings_with_key_list(const config::BrokerConfig& config) {
  config::CaSettings settings = config.ca;
  const auto file = ssh_key_list_file(config);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return settings;
  auto content = ca::read_file(file, 64 * 1024);
  if (!content) throw std::runtime_error("cannot read the SSH CA key list " + file.string());
  std::istringstream lines{std::string(ca::as_chars(*content))};
  std::vector<std::filesystem::path> keys;
  for (std::string line; std::getline(lines, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    keys.emplace_back(line);
  }
  if (keys.empty()) throw std::runtime_error("the SSH CA key list " + file.string() + " is empty");
  settings.ssh_key_files = std::move(keys);
  return settings;
}

void write_ssh_key_list(const config::BrokerConfig& config,
                        const std::vector<std::filesystem::path>& newest_first) {
  std::string text =
      "# SSH CA keys, newest first (the first signs): written by jit-broker ca rotate/retire\n";
  for (const auto& key : newest_first) text += key.string() + "\n";
  const auto file = ssh_key_list_file(config);
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (auto written = ca::write_file_atomically(file, ca::as_bytes(text), 0600); !written) {
    throw std::runtime_error("cannot write the SSH CA key list " + file.string());
  }
}

}  // namespace jit::broker
