#include "approvals/request_binding.hpp"

#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

#include <set>

namespace jit::approvals {
namespace {

using testing::bytes_of;
using testing::sha256_of;

const ApprovalSubject kSubject{"req-1",      "alice",  "prod-db-read",           3600,
                               "fix INC-42", "INC-42", ApprovalDecision::approve};

// The documented encoding, written out independently of the library.
ca::Bytes documented_digest(const ApprovalSubject& s) {
  ca::ByteWriter w;
  for (std::string_view field : {std::string_view("jitbroker.request.v1"), std::string_view(s.id),
                                 std::string_view(s.requester), std::string_view(s.role)}) {
    w.u32(static_cast<std::uint32_t>(field.size()));
    w.raw(ca::as_bytes(field));
  }
  w.u64(s.duration_seconds);
  for (std::string_view field : {std::string_view(s.reason), std::string_view(s.ticket)}) {
    w.u32(static_cast<std::uint32_t>(field.size()));
    w.raw(ca::as_bytes(field));
  }
  return sha256_of(w.bytes());
}

// string(x) of the documented encodings: a uint32 big-endian length, then the bytes.
void put_string(ca::ByteWriter& w, ca::ByteView field) {
  w.u32(static_cast<std::uint32_t>(field.size()));
  w.raw(field);
}

TEST(RequestDigest, MatchesTheDocumentedEncoding) {
  const ca::Bytes digest = request_digest(kSubject).value();
  EXPECT_EQ(digest.size(), 32u);
  EXPECT_EQ(digest, documented_digest(kSubject));
  EXPECT_EQ(request_digest(kSubject).value(), digest);
}

TEST(RequestDigest, EveryFieldMattersAndBoundariesAreUnambiguous) {
  std::set<ca::Bytes> digests;
  digests.insert(request_digest(kSubject).value());
  auto add = [&](ApprovalSubject s) { return digests.insert(request_digest(s).value()).second; };
  ApprovalSubject s = kSubject;
  s.id = "req-2";
  EXPECT_TRUE(add(s));
  s = kSubject;
  s.requester = "bob";
  EXPECT_TRUE(add(s));
  s = kSubject;
  s.role = "prod-db-write";
  EXPECT_TRUE(add(s));
  s = kSubject;
  s.duration_seconds = 3601;
  EXPECT_TRUE(add(s));
  s = kSubject;
  s.reason = "fix INC-43";
  EXPECT_TRUE(add(s));
  s = kSubject;
  s.ticket = "INC-43";
  EXPECT_TRUE(add(s));
  // Moving a character from one field to the next changes the digest.
  s = kSubject;
  s.reason = "fix INC-42I";
  s.ticket = "NC-42";
  EXPECT_TRUE(add(s));
  s = kSubject;
  s.id = "req-1a";
  s.requester = "lice";
  EXPECT_TRUE(add(s));
}

TEST(DecisionDigest, MatchesTheDocumentedEncodingAndBindsTheDecision) {
  ca::ByteWriter w;
  put_string(w, ca::as_bytes("jitbroker.decision.v1"));
  put_string(w, documented_digest(kSubject));
  put_string(w, ca::as_bytes("approve"));
  EXPECT_EQ(decision_digest(kSubject).value(), sha256_of(w.bytes()));
  std::set<ca::Bytes> digests;
  for (auto decision :
       {ApprovalDecision::approve, ApprovalDecision::deny, ApprovalDecision::review}) {
    ApprovalSubject s = kSubject;
    s.decision = decision;
    EXPECT_TRUE(digests.insert(decision_digest(s).value()).second) << to_string(decision);
    EXPECT_EQ(parse_approval_decision(to_string(decision)), decision);
  }
  EXPECT_FALSE(parse_approval_decision("Approve"));
  EXPECT_FALSE(parse_approval_decision(""));
  // A subject whose decision was never said binds nothing.
  ApprovalSubject undecided = kSubject;
  undecided.decision.reset();
  EXPECT_EQ(decision_digest(undecided).error(), ApprovalsErrc::invalid_input);
}

TEST(ApprovalChallenge, AnApproveChallengeDoesNotDeny) {
  const ca::Bytes nonce(32, std::byte{1});
  const ca::Bytes challenge = approval_challenge(decision_digest(kSubject).value(), nonce).value();
  EXPECT_TRUE(check_approval_challenge(kSubject, nonce, challenge).has_value());
  ApprovalSubject deny = kSubject;
  deny.decision = ApprovalDecision::deny;
  EXPECT_EQ(check_approval_challenge(deny, nonce, challenge).error(),
            ApprovalsErrc::challenge_mismatch);
  // Nor does a challenge over the bare request digest (what was signed before decisions were
  // bound) approve.
  const ca::Bytes unbound = approval_challenge(request_digest(kSubject).value(), nonce).value();
  EXPECT_EQ(check_approval_challenge(kSubject, nonce, unbound).error(),
            ApprovalsErrc::challenge_mismatch);
}

TEST(ReviewDigest, MatchesTheDocumentedEncodingAndCoversTheComment) {
  ca::ByteWriter w;
  put_string(w, ca::as_bytes("jitbroker.review.v1"));
  put_string(w, documented_digest(kSubject));
  put_string(w, ca::as_bytes(kSubject.reason));
  put_string(w, ca::as_bytes("approve"));
  put_string(w, ca::as_bytes("checked"));
  EXPECT_EQ(review_digest(kSubject, "checked").value(), sha256_of(w.bytes()));
  EXPECT_NE(review_digest(kSubject, "checked!").value(),
            review_digest(kSubject, "checked").value());
  ApprovalSubject deny = kSubject;
  deny.decision = ApprovalDecision::deny;
  EXPECT_NE(review_digest(deny, "checked").value(), review_digest(kSubject, "checked").value());
}

TEST(ApprovalChallenge, DependsOnDigestAndNonce) {
  const ca::Bytes digest = decision_digest(kSubject).value();
  const ca::Bytes nonce(32, std::byte{1});
  const ca::Bytes challenge = approval_challenge(digest, nonce).value();
  EXPECT_EQ(challenge.size(), 32u);
  EXPECT_NE(approval_challenge(digest, ca::Bytes(32, std::byte{2})).value(), challenge);
  ApprovalSubject other = kSubject;
  other.id = "req-2";
  EXPECT_NE(approval_challenge(decision_digest(other).value(), nonce).value(), challenge);
  EXPECT_TRUE(check_approval_challenge(kSubject, nonce, challenge).has_value());
  EXPECT_EQ(check_approval_challenge(other, nonce, challenge).error(),
            ApprovalsErrc::challenge_mismatch);
  EXPECT_EQ(approval_challenge(ca::Bytes(31), nonce).error(), ApprovalsErrc::invalid_input);
  EXPECT_EQ(approval_challenge(digest, ca::Bytes(15)).error(), ApprovalsErrc::invalid_input);
}

TEST(RequestDigest, RefusesAbsurdFields) {
  ApprovalSubject huge = kSubject;
  huge.reason.assign(64 * 1024 + 1, 'x');
  EXPECT_EQ(request_digest(huge).error(), ApprovalsErrc::invalid_input);
}

}  // namespace
}  // namespace jit::approvals
