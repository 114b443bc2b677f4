// Replacing one file a host's sshd or nginx reads with what the broker serves (docs/operations.md,
// "Host set-up"): GET over verified HTTPS (no session needed: docs/api.md, "CA material and
// revocation lists"), with If-None-Match from the ETag kept beside the file for the revocation
// lists, the answer checked (host_list_checks.hpp), then written whole or not at all (temporary
// file, fsync, rename; ca/atomic_file.hpp) and the new ETag stored after it. Any failure leaves the
// file as it was and prints one line naming the file and why.
#pragma once

#include "broker/client/cli_profile.hpp"

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace jit::broker {

struct BrokerFile {
  std::string what;            // "KRL", for the messages
  std::string target;          // "/v1/ca/ssh/krl"
  std::filesystem::path file;  // absolute
  bool conditional = false;    // keep the ETag in file + ".etag" and send If-None-Match
  std::size_t max_bytes = 4 * 1024 * 1024;
  // The problem with the fetched content given the installed one (nullopt: none readable); empty
  // when it may replace the file.
  std::function<std::string(std::string_view fetched, std::optional<std::string_view> installed)>
      check;
};

enum class FileUpdate { replaced, unchanged, failed };

// Prints "WHAT FILE: replaced" or "WHAT FILE: unchanged (304 Not Modified)" on `out`, and on a
// failure "jit: WHAT from URL: PROBLEM; FILE left as it was" on `err`.
FileUpdate update_broker_file(const CliProfile& profile, const BrokerFile& file, std::ostream& out,
                              std::ostream& err);

// An ETag as a server sends it: a quoted string, optionally W/, visible ASCII, at most 256 bytes.
[[nodiscard]] bool is_entity_tag(std::string_view text) noexcept;

}  // namespace jit::broker
