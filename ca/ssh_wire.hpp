// SSH wire helpers for public keys, certificates, signatures and KRLs (docs/protocols.md section
// 1), on top of ByteReader and ByteWriter.
#pragma once

#include "ca/bytes.hpp"

#include <cstddef>
#include <string_view>

namespace jit::ca {

// Longest key-type or curve name the parsers read from SSH wire data (the longest real one,
// "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", is 44 bytes).
inline constexpr std::size_t kMaxSshNameBytes = 64;

// Reads an SSH mpint that must hold a non-negative integer in canonical form: no sign bit set and
// no redundant leading 0x00 (zero is the empty string). Gives the big-endian magnitude without the
// pad byte; refuses magnitudes longer than max_bytes. The reader does not move on failure.
[[nodiscard]] bool read_mpint_positive(ByteReader& reader, std::size_t max_bytes,
                                       ByteView& magnitude);

// The three parts of an OpenSSH public key or certificate line: `type SP base64 [SP comment]`.
struct SshLineParts {
  std::string_view type;
  std::string_view base64;
  std::string_view comment;  // may be empty
};

// Splits a line, ignoring surrounding whitespace and a trailing newline. False when the type or
// base64 part is missing or when the comment holds a control character.
[[nodiscard]] bool split_ssh_line(std::string_view line, SshLineParts& out);

// True when text holds only printable ASCII (0x20..0x7e); used for key ids, comments and names that
// end up in sshd's log lines.
[[nodiscard]] bool is_printable_ascii(std::string_view text) noexcept;

}  // namespace jit::ca
