// The `jit` user commands. Each returns the exit code; messages go to `out`/`err`. Exit codes:
// 0 success, 1 error (network, server, usage), 2 not authenticated, and for `wait`: 3 denied,
// 4 timed out or cancelled.
#pragma once

#include "broker/cli/cli_profile.hpp"

#include <iosfwd>
#include <optional>
#include <string>

namespace jit::broker {

struct JitGlobalOptions {
  std::optional<std::string> broker_url;  // overrides the profile
  std::optional<std::string> ca_file;     // overrides the profile
};

struct LoginOptions {
  std::string user;
  bool password_stdin = false;
  std::optional<std::string> totp;
};

int jit_login(const JitGlobalOptions& global, const LoginOptions& options, std::istream& in,
              std::ostream& out, std::ostream& err);
int jit_logout(const JitGlobalOptions& global, std::ostream& out, std::ostream& err);
int jit_whoami(const JitGlobalOptions& global, std::ostream& out, std::ostream& err);

}  // namespace jit::broker
