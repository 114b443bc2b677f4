#include "ca/krl_file.hpp"

#include "ca/atomic_file.hpp"

#include <system_error>

namespace jit::ca {

Result<Krl> read_krl_file(const std::filesystem::path& path) {
  auto content = read_file(path, kMaxKrlBytes);
  if (!content) return content.error();
  return parse_krl(*content);
}

Result<void> write_krl_file(const std::filesystem::path& path, ByteView krl) {
  auto fresh = parse_krl(krl);
  if (!fresh) return fresh.error();
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto current = read_krl_file(path);
    if (current && current->version >= fresh->version) return CaErrc::invalid_argument;
  }
  return write_file_atomically(path, krl, 0644);
}

}  // namespace jit::ca
