// Validation of what the caller asks to certify. Everything here is refused with invalid_argument:
// these values come from policy, so a failure is a configuration or programming error to surface.
#include "ca/ssh_certificate.hpp"

#include "ca/ssh_extensions.hpp"
#include "ca/ssh_wire.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

namespace jit::ca {
namespace {

constexpr std::size_t kMaxForceCommand = 4096;
constexpr std::size_t kMaxSourceAddresses = 64;
constexpr std::size_t kMaxSourceAddressLength = 64;

bool valid_principal(std::string_view principal) {
  return !principal.empty() && principal.size() <= kMaxSshPrincipalLength &&
         is_printable_ascii(principal) && principal.find_first_of(" ,") == std::string_view::npos;
}

// Host bits beyond the prefix must be zero: sshd's addr_pton_cidr refuses "10.0.0.1/8", and a
// refused source-address makes the whole certificate unusable.
bool host_bits_zero(const unsigned char* address, std::size_t bytes, unsigned prefix) {
  for (std::size_t i = 0; i < bytes; ++i) {
    const unsigned first_bit = static_cast<unsigned>(i) * 8;
    unsigned mask = 0xFF;
    if (prefix >= first_bit + 8) {
      mask = 0;
    } else if (prefix > first_bit) {
      mask = 0xFFU >> (prefix - first_bit);
    }
    if ((address[i] & mask) != 0) return false;
  }
  return true;
}

bool valid_source_address(std::string_view text) {
  if (text.empty() || text.size() > kMaxSourceAddressLength || !is_printable_ascii(text))
    return false;
  const std::size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  std::array<unsigned char, 16> bytes{};
  std::size_t length = 0;
  if (inet_pton(AF_INET, address.c_str(), bytes.data()) == 1) {
    length = 4;
  } else if (inet_pton(AF_INET6, address.c_str(), bytes.data()) == 1) {
    length = 16;
  } else {
    return false;
  }
  unsigned prefix = static_cast<unsigned>(length * 8);
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
    std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (prefix > length * 8) return false;
  }
  return host_bits_zero(bytes.data(), length, prefix);
}

bool valid_key_id_part(std::string_view part) {
  return !part.empty() && is_printable_ascii(part) &&
         part.find_first_of(": \"") == std::string_view::npos;
}

template <typename Range>
bool all_unique(const Range& values) {
  std::set<std::string_view> seen;
  for (const auto& value : values) {
    if (!seen.insert(value).second) return false;
  }
  return true;
}

}  // namespace

Result<void> validate_ssh_certificate_profile(const SshCertificateProfile& profile) {
  if (profile.serial == 0) return CaErrc::invalid_argument;
  if (profile.key_id.empty() || profile.key_id.size() > kMaxSshKeyIdLength ||
      !is_printable_ascii(profile.key_id)) {
    return CaErrc::invalid_argument;
  }
  if (profile.principals.empty() || profile.principals.size() > kMaxSshPrincipals)
    return CaErrc::invalid_argument;
  if (!std::all_of(profile.principals.begin(), profile.principals.end(),
                   [](const std::string& p) { return valid_principal(p); }) ||
      !all_unique(profile.principals)) {
    return CaErrc::invalid_argument;
  }
  if (profile.valid_after.time_since_epoch().count() < 0 ||
      profile.valid_before <= profile.valid_after) {
    return CaErrc::invalid_argument;
  }
  if (profile.force_command) {
    const std::string& command = *profile.force_command;
    if (command.empty() || command.size() > kMaxForceCommand ||
        command.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos) {
      return CaErrc::invalid_argument;
    }
  }
  if (profile.source_addresses.size() > kMaxSourceAddresses ||
      !std::all_of(profile.source_addresses.begin(), profile.source_addresses.end(),
                   [](const std::string& a) { return valid_source_address(a); }) ||
      !all_unique(profile.source_addresses)) {
    return CaErrc::invalid_argument;
  }
  for (const std::string& extension : profile.extensions) {
    if (std::find(kSshExtensions.begin(), kSshExtensions.end(), extension) ==
        kSshExtensions.end()) {
      return CaErrc::invalid_argument;
    }
  }
  if (!all_unique(profile.extensions)) return CaErrc::invalid_argument;
  return {};
}

Result<std::string> make_ssh_key_id(std::string_view request_id, std::string_view user,
                                    std::string_view role) {
  if (!valid_key_id_part(request_id) || !valid_key_id_part(user) || !valid_key_id_part(role)) {
    return CaErrc::invalid_argument;
  }
  std::string id = "jit:";
  id.append(request_id).append(":").append(user).append(":").append(role);
  if (id.size() > kMaxSshKeyIdLength) return CaErrc::invalid_argument;
  return id;
}

}  // namespace jit::ca
