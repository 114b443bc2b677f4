// Names of users, groups, roles and SSH principals. They end up in SSH certificates, X.509 SANs,
// SQL rows, URLs and log lines, so they are restricted to a charset that is safe in all of them.
#pragma once

#include <cstddef>
#include <string_view>

namespace jit::config {

inline constexpr std::size_t kMaxNameLength = 64;

// True for 1..64 characters from [A-Za-z0-9._-] whose first character is not '.' or '-', so a name
// is never "." or "..", a hidden file, or something a command line would read as an option. Use it
// on every name that comes from outside too (a login's user field, a CLI argument, a query
// filter). The one definition of the name rule: here in config/, because the policy loader
// refuses bad names with it and approvals/ and broker/ both depend on config/ (approvals/ could
// not serve the loader, which must not depend on it).
[[nodiscard]] bool is_safe_name(std::string_view name);

}  // namespace jit::config
