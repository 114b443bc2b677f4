// OpenSSH user certificates (docs/protocols.md section 2): what the caller asks for
// (SshCertificateProfile), what comes out or is read back (SshCertificate), and the parser for
// certificates we issued.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"
#include "ca/ssh_public_key.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::ca {

inline constexpr std::uint32_t kSshUserCertificate = 1;
inline constexpr std::size_t kMaxSshPrincipals = 256;  // OpenSSH's own limit
inline constexpr std::size_t kMaxSshPrincipalLength = 256;
inline constexpr std::size_t kMaxSshKeyIdLength = 1024;
inline constexpr std::size_t kSshCertificateNonceBytes = 32;
inline constexpr std::size_t kMaxSshCertificateBytes = 256 * 1024;

// What the broker asks the CA to certify; everything in it comes from policy and the grant, never
// from the requester. Checked by validate_ssh_certificate_profile (invalid_argument on any
// failure).
struct SshCertificateProfile {
  std::uint64_t serial = 0;             // allocated by the caller, unique, never 0
  std::string key_id;                   // see make_ssh_key_id; printable ASCII, 1..1024 bytes
  std::vector<std::string> principals;  // 1..256, unique; no NUL, comma, whitespace or control
  // The window as given (approvals/grant_rules.hpp certificate_window decides it for a grant):
  // valid_after <= t < valid_before; valid_after not before the epoch, the window not empty.
  std::chrono::sys_seconds valid_after{};
  std::chrono::sys_seconds valid_before{};
  std::optional<std::string> force_command;   // critical option force-command
  std::vector<std::string> source_addresses;  // critical option source-address, CIDRs or addresses
  std::vector<std::string> extensions{"permit-pty"};  // known names only, unique; emitted sorted
};

[[nodiscard]] Result<void> validate_ssh_certificate_profile(const SshCertificateProfile& profile);

// "jit:<request id>:<user>:<role>", so sshd's "Accepted certificate ID" log line leads back to the
// audit log. Each part must be non-empty printable ASCII without ':', '"' or spaces.
[[nodiscard]] Result<std::string> make_ssh_key_id(std::string_view request_id,
                                                  std::string_view user, std::string_view role);

// A certificate as issued or as read back. Times are the raw wire values (seconds since the epoch;
// valid_before may be 0xFFFFFFFFFFFFFFFF, "forever", in certificates from elsewhere).
struct SshCertificate {
  SshPublicKey subject;  // the certified key, as a plain key
  Bytes nonce;
  std::uint64_t serial = 0;
  std::uint32_t certificate_type = kSshUserCertificate;
  std::string key_id;
  std::vector<std::string> principals;
  std::uint64_t valid_after = 0;
  std::uint64_t valid_before = 0;
  std::optional<std::string> force_command;
  std::optional<std::string> source_address;  // as on the wire: comma-separated
  std::vector<std::string> extensions;        // names; every extension we know carries no data
  SshPublicKey ca_key;
  std::string signature_algorithm;
  Bytes blob;  // the whole certificate, as sshd reads it

  [[nodiscard]] std::string_view type_name() const noexcept {
    return ssh_certificate_type_name(subject.type());
  }
  // The `-cert.pub` file line: `type base64(blob)` plus ` comment` when given, without a newline.
  [[nodiscard]] std::string line(std::string_view comment = {}) const;
  // sshd's rule: valid_after <= now < valid_before.
  [[nodiscard]] bool valid_at(std::chrono::sys_seconds now) const noexcept;
};

// Reads a `-cert.pub` line (type name must match the blob) or a raw blob, checks every field and
// verifies the CA signature with the CA key inside the certificate (whether that CA is trusted is
// the caller's question: SshCertificateAuthority::is_trusted). Errors: malformed (truncation, bad
// lengths, trailing bytes, NULs, duplicate or unsorted options or extensions, unknown critical
// options, a host certificate, a type name mismatch), unsupported_key (unknown or refused key types
// for the subject or the CA), bad_signature.
[[nodiscard]] Result<SshCertificate> parse_ssh_certificate_line(std::string_view line);
[[nodiscard]] Result<SshCertificate> parse_ssh_certificate_blob(ByteView blob);

}  // namespace jit::ca
