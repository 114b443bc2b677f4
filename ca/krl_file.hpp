// Publishing a KRL for sshd's RevokedKeys. sshd re-reads the file on every authentication and
// refuses every public key if it cannot parse it, so a KRL is written only after it parses, only if
// its version is higher than the one already in place, and atomically (temp file + rename).
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"
#include "ca/krl.hpp"

#include <filesystem>

namespace jit::ca {

// malformed if krl does not parse; invalid_argument if the file in place is a readable KRL whose
// version is not lower than krl's (an unreadable or non-KRL file is replaced); io_failure on write.
[[nodiscard]] Result<void> write_krl_file(const std::filesystem::path& path, ByteView krl);

[[nodiscard]] Result<Krl> read_krl_file(const std::filesystem::path& path);

}  // namespace jit::ca
