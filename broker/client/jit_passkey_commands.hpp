// `jit passkeys list` and `jit passkeys remove ID`: the caller's own passkeys (GET and DELETE
// /v1/webauthn/credentials). Registering one needs a browser (the web page's Passkeys section).
#pragma once

#include "broker/client/jit_api_client.hpp"

#include <iosfwd>
#include <optional>
#include <string>

namespace jit::broker {

// One line per passkey on `out`: id, created, last used; "no passkeys" on `err` when none.
int jit_passkeys_list(const JitGlobalOptions& global, std::ostream& out, std::ostream& err);

struct PasskeyRemoveOptions {
  std::string id;                   // base64url, as `list` prints it
  std::optional<std::string> totp;  // always sent; prompted for when absent
};
int jit_passkeys_remove(const JitGlobalOptions& global, const PasskeyRemoveOptions& options,
                        std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace jit::broker
