// The OpenSSH certificate extensions this CA writes (docs/protocols.md 2.3): the one list, used by
// the CA's profile check (ca/ssh_certificate_profile.cpp) and by the policy loader, which refuses a
// role granting anything else (config/role_reader.cpp). All are flags; sshd ignores a name it does
// not know, so an unknown one is more likely a typo in policy than an intent. sshd also knows
// no-touch-required, left out on purpose: it would let a FIDO key sign without the user's touch.
// Header-only and free of other includes of ours, so config/ can use it without linking ca/.
#pragma once

#include <array>
#include <string_view>

namespace jit::ca {

inline constexpr std::array<std::string_view, 5> kSshExtensions{
    "permit-X11-forwarding", "permit-agent-forwarding", "permit-port-forwarding", "permit-pty",
    "permit-user-rc"};

}  // namespace jit::ca
