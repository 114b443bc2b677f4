// `jit ssh [USER@]HOST [-- COMMAND...]`: the everyday path in one command (docs/architecture.md,
// "jit"). It picks the role whose SSH principals include USER (or --role), reuses the caller's
// active grant of that role or requests one and waits for its approval, reuses an unexpired
// certificate of that grant from the key folder or mints one (as `jit ssh-cert`), then replaces
// itself with `ssh -i KEY -o CertificateFile=CERT ...`. Returns only on failure (the exit code).
#pragma once

#include "broker/client/jit_api_client.hpp"

#include <boost/json/array.hpp>

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace jit::broker {

struct SshOptions {
  std::string destination;               // [USER@]HOST
  std::vector<std::string> command;      // the remote command, if any
  std::optional<int> port;               // ssh -p
  std::vector<std::string> ssh_options;  // each passed as ssh -o OPTION
  std::optional<std::string> role;
  std::optional<std::string> reason;  // for a new request; prompted on a terminal when required
  std::optional<std::string> ticket;
  std::optional<std::string> duration;
  std::optional<std::string> totp;
  std::optional<std::filesystem::path> dir;  // key folder, default ~/.ssh
  std::chrono::milliseconds wait_timeout{std::chrono::hours(1)};
};

int jit_ssh(const JitGlobalOptions& global, const SshOptions& options, std::istream& in,
            std::ostream& err);

// The login user of "[USER@]HOST": USER, or `local_user` when there is no '@'.
[[nodiscard]] std::string ssh_login_user(const std::string& destination,
                                         const std::string& local_user);

// The role to use from GET /v1/roles: `chosen` when given; otherwise the only requestable role
// whose ssh_principals include `login_user`. nullopt with `why` set when there is none or more
// than one.
[[nodiscard]] std::optional<std::string> pick_ssh_role(const boost::json::array& roles,
                                                       const std::string& login_user,
                                                       const std::optional<std::string>& chosen,
                                                       std::string& why);

// The ssh command line: ssh -i KEY -o CertificateFile=CERT -o IdentitiesOnly=yes [-p PORT]
// [-o OPTION]... -- DESTINATION [COMMAND...].
[[nodiscard]] std::vector<std::string> ssh_command_line(const SshOptions& options,
                                                        const std::filesystem::path& key,
                                                        const std::filesystem::path& certificate);

}  // namespace jit::broker
