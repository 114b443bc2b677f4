// `jit login --sso [PROVIDER] [--device]` (docs/sso.md "Signing in from the command line"): signs
// in through the broker's OpenID Connect provider, with a loopback redirect and PKCE (RFC 8252,
// RFC 7636) or the device authorization grant (RFC 8628), and stores the session like `jit login`.
#pragma once

#include "broker/client/jit_api_client.hpp"

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>

namespace jit::broker {

struct SsoLoginOptions {
  std::optional<std::string> provider;  // absent: the broker's only provider
  bool device = false;                  // device authorization grant instead of a browser here
  bool no_browser = false;              // print the URL, never run xdg-open
  std::chrono::seconds timeout{300};    // loopback: how long to wait for the browser
};

int jit_sso_login(const JitGlobalOptions& global, const SsoLoginOptions& options, std::ostream& out,
                  std::ostream& err);

// PKCE (RFC 7636 4.1, 4.2): a verifier of 32 random bytes in base64url, and its S256 challenge.
[[nodiscard]] std::string new_pkce_verifier();
[[nodiscard]] std::string pkce_s256_challenge(std::string_view verifier);

// A provider name as the broker accepts it ([a-z0-9-]{1,32}), checked before it goes into a path.
[[nodiscard]] bool is_sso_provider_name(std::string_view name) noexcept;

}  // namespace jit::broker
