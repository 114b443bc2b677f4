// Presence proof bound to one access request (docs/architecture.md invariant 4). Its digest is
// SHA-256 over an unambiguous encoding of the fields a reviewer approves:
//   string("jitbroker.request.v1") string(id) string(requester) string(role)
//   uint64(duration_seconds) string(reason) string(ticket)
// where string() is a uint32 big-endian length then the bytes (SSH wire style), so no two different
// requests share an encoding. The challenge also binds what the reviewer does with it (issue 14:
// an assertion made for "approve" must not deny), through the decision digest
//   decision_digest = SHA-256(string("jitbroker.decision.v1") string(digest) string(decision))
// with decision "approve", "deny" or "review" (the post-incident review). The WebAuthn challenge is
//   approval_challenge = SHA-256(string("jitbroker.approval.v1") string(decision_digest)
//                                string(nonce))
// with a single-use server nonce (ChallengeStore::issue_for_request, given the decision digest).
// The authenticator signs that challenge, so the assertion proves presence for this decision on
// this request, as it stood, and no other.
#pragma once

#include "approvals/approvals_error.hpp"
#include "ca/bytes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jit::approvals {

inline constexpr std::size_t kRequestDigestBytes = 32;
inline constexpr std::size_t kMinApprovalNonceBytes = 16;

// What a reviewer's factor is for: POST /v1/requests/{id}/approve, /deny, /review.
enum class ApprovalDecision { approve, deny, review };

[[nodiscard]] std::string_view to_string(ApprovalDecision decision);
// "approve", "deny", "review"; nullopt for anything else.
[[nodiscard]] std::optional<ApprovalDecision> parse_approval_decision(std::string_view text);

struct ApprovalSubject {
  std::string id;
  std::string requester;
  std::string role;
  std::uint64_t duration_seconds = 0;
  std::string reason;
  std::string ticket;
  // Not part of the request digest; required for the decision digest (no default, so a subject
  // whose decision was never said cannot be bound by mistake to "approve").
  std::optional<ApprovalDecision> decision;
};

// 32 bytes. invalid_input when a field is over 64 KiB (no request field is that long).
[[nodiscard]] Result<ca::Bytes> request_digest(const ApprovalSubject& subject);

// 32 bytes: the request digest bound to subject.decision. invalid_input without a decision.
[[nodiscard]] Result<ca::Bytes> decision_digest(const ApprovalSubject& subject);

// 32 bytes. invalid_input: a digest that is not 32 bytes, a nonce shorter than 16 bytes.
[[nodiscard]] Result<ca::Bytes> approval_challenge(ca::ByteView digest, ca::ByteView nonce);

// 32 bytes, for the audit record of a review: SHA-256 over string("jitbroker.review.v1")
// string(request_digest) string(reason) string(decision) string(comment), so that the record
// commits to exactly what was decided on, with which words. invalid_input without a decision.
[[nodiscard]] Result<ca::Bytes> review_digest(const ApprovalSubject& subject,
                                              std::string_view comment);

// Recomputes the challenge from the request as stored now, the decision being taken and the nonce
// that ChallengeStore::consume returned, and compares it in constant time with the challenge the
// assertion signed. challenge_mismatch when the request or the decision differs from the one the
// challenge was issued for.
[[nodiscard]] Result<void> check_approval_challenge(const ApprovalSubject& subject,
                                                    ca::ByteView nonce,
                                                    ca::ByteView signed_challenge);

}  // namespace jit::approvals
