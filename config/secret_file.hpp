// The one check that a secret file (a key, a token, a password, a connection string) is private to
// its owner. A secret the group or everyone may read may already have been copied, so the broker
// refuses it rather than start and hide that; each caller reports the answer its own way (a config
// error, a start-up error).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace jit::config {

// "WHAT FILE is readable by others; chmod 600 it" when the group or others have any access to
// `file`; nothing when only its owner has, or when `file` cannot be looked at (the caller's own
// read then reports that).
std::optional<std::string> secret_file_exposure(const std::filesystem::path& file,
                                                std::string_view what);

// The same for a key that a group may share by convention (Debian's ssl-cert group reads the TLS
// keys in /etc/ssl/private, mode 0640): "WHAT FILE is readable by everyone; chmod o-rwx it" when
// others have any access; nothing otherwise.
std::optional<std::string> group_shared_key_exposure(const std::filesystem::path& file,
                                                     std::string_view what);

}  // namespace jit::config
