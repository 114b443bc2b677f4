// Presence proof bound to one access request (docs/architecture.md invariant 4). Its digest is
// SHA-256 over an unambiguous encoding of the fields a reviewer approves:
//   string("jitbroker.request.v1") string(id) string(requester) string(role)
//   uint64(duration_seconds) string(reason) string(ticket)
// where string() is a uint32 big-endian length then the bytes (SSH wire style), so no two different
// requests share an encoding. The WebAuthn challenge for approving or denying it is
//   approval_challenge = SHA-256(string("jitbroker.approval.v1") string(digest) string(nonce))
// with a single-use server nonce (ChallengeStore::issue_for_request). The authenticator signs that
// challenge, so the assertion proves presence for this request, as it stood, and no other.
#pragma once

#include "approvals/approvals_error.hpp"
#include "ca/bytes.hpp"

#include <cstdint>
#include <string>

namespace jit::approvals {

inline constexpr std::size_t kRequestDigestBytes = 32;
inline constexpr std::size_t kMinApprovalNonceBytes = 16;

struct ApprovalSubject {
  std::string id;
  std::string requester;
  std::string role;
  std::uint64_t duration_seconds = 0;
  std::string reason;
  std::string ticket;
};

// 32 bytes. invalid_input when a field is over 64 KiB (no request field is that long).
[[nodiscard]] Result<ca::Bytes> request_digest(const ApprovalSubject& subject);

// 32 bytes. invalid_input: a digest that is not 32 bytes, a nonce shorter than 16 bytes.
[[nodiscard]] Result<ca::Bytes> approval_challenge(ca::ByteView digest, ca::ByteView nonce);

// Recomputes the challenge from the request as stored now and the nonce that
// ChallengeStore::consume returned, and compares it in constant time with the challenge the
// assertion signed. challenge_mismatch when the request differs from the one the challenge was
// issued for.
[[nodiscard]] Result<void> check_approval_challenge(const ApprovalSubject& subject,
                                                    ca::ByteView nonce,
                                                    ca::ByteView signed_challenge);

}  // namespace jit::approvals
