// The `jit` session commands: login, logout, whoami. Each returns the exit code (kJit* in
// jit_api_client.hpp); messages go to `out`/`err`.
#pragma once

#include "broker/client/jit_api_client.hpp"

#include <iosfwd>
#include <optional>
#include <string>

namespace jit::broker {

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
