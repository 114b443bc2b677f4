#include "approvals/request_binding.hpp"

#include "approvals/digest.hpp"

namespace jit::approvals {
namespace {

constexpr std::size_t kMaxFieldBytes = 64 * 1024;
constexpr std::string_view kRequestDomain = "jitbroker.request.v1";
constexpr std::string_view kApprovalDomain = "jitbroker.approval.v1";
constexpr std::string_view kDecisionDomain = "jitbroker.decision.v1";
constexpr std::string_view kReviewDomain = "jitbroker.review.v1";

ca::Bytes to_bytes(const Sha256Digest& digest) { return ca::Bytes(digest.begin(), digest.end()); }

}  // namespace

std::string_view to_string(ApprovalDecision decision) {
  switch (decision) {
    case ApprovalDecision::approve:
      return "approve";
    case ApprovalDecision::deny:
      return "deny";
    case ApprovalDecision::review:
      return "review";
  }
  return "approve";  // unreachable: every enumerator is handled above
}

std::optional<ApprovalDecision> parse_approval_decision(std::string_view text) {
  for (auto decision :
       {ApprovalDecision::approve, ApprovalDecision::deny, ApprovalDecision::review}) {
    if (text == to_string(decision)) return decision;
  }
  return std::nullopt;
}

Result<ca::Bytes> request_digest(const ApprovalSubject& subject) {
  for (const std::string* field :
       {&subject.id, &subject.requester, &subject.role, &subject.reason, &subject.ticket}) {
    if (field->size() > kMaxFieldBytes) return ApprovalsErrc::invalid_input;
  }
  ca::ByteWriter writer;
  writer.string(kRequestDomain);
  writer.string(subject.id);
  writer.string(subject.requester);
  writer.string(subject.role);
  writer.u64(subject.duration_seconds);
  writer.string(subject.reason);
  writer.string(subject.ticket);
  auto digest = sha256(writer.bytes());
  if (!digest) return digest.error();
  return to_bytes(*digest);
}

Result<ca::Bytes> decision_digest(const ApprovalSubject& subject) {
  if (!subject.decision) return ApprovalsErrc::invalid_input;
  auto digest = request_digest(subject);
  if (!digest) return digest.error();
  ca::ByteWriter writer;
  writer.string(kDecisionDomain);
  writer.string(*digest);
  writer.string(to_string(*subject.decision));
  auto bound = sha256(writer.bytes());
  if (!bound) return bound.error();
  return to_bytes(*bound);
}

Result<ca::Bytes> review_digest(const ApprovalSubject& subject, std::string_view comment) {
  if (!subject.decision || comment.size() > kMaxFieldBytes) return ApprovalsErrc::invalid_input;
  auto digest = request_digest(subject);
  if (!digest) return digest.error();
  ca::ByteWriter writer;
  writer.string(kReviewDomain);
  writer.string(*digest);
  writer.string(subject.reason);
  writer.string(to_string(*subject.decision));
  writer.string(comment);
  auto review = sha256(writer.bytes());
  if (!review) return review.error();
  return to_bytes(*review);
}

Result<ca::Bytes> approval_challenge(ca::ByteView digest, ca::ByteView nonce) {
  if (digest.size() != kRequestDigestBytes || nonce.size() < kMinApprovalNonceBytes ||
      nonce.size() > kMaxFieldBytes) {
    return ApprovalsErrc::invalid_input;
  }
  ca::ByteWriter writer;
  writer.string(kApprovalDomain);
  writer.string(digest);
  writer.string(nonce);
  auto challenge = sha256(writer.bytes());
  if (!challenge) return challenge.error();
  return to_bytes(*challenge);
}

Result<void> check_approval_challenge(const ApprovalSubject& subject, ca::ByteView nonce,
                                      ca::ByteView signed_challenge) {
  auto digest = decision_digest(subject);
  if (!digest) return digest.error();
  auto expected = approval_challenge(*digest, nonce);
  if (!expected) return expected.error();
  if (!ca::constant_time_equal(*expected, signed_challenge)) {
    return ApprovalsErrc::challenge_mismatch;
  }
  return {};
}

}  // namespace jit::approvals
