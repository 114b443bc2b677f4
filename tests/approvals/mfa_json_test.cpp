#include "approvals/mfa_evidence.hpp"
#include "approvals/mfa_submission.hpp"
#include "approvals/strict_json.hpp"

#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace jit::approvals {
namespace {

using testing::bytes_of;

boost::json::value json(std::string_view text) { return parse_strict_json(text).value(); }

TEST(MfaSubmission, Totp) {
  auto parsed = parse_mfa_submission(json(R"({"totp":"012345"})"));
  ASSERT_TRUE(parsed.has_value());
  ASSERT_TRUE(std::holds_alternative<TotpSubmission>(*parsed));
  EXPECT_EQ(std::get<TotpSubmission>(*parsed).code, "012345");
}

TEST(MfaSubmission, WebAuthn) {
  auto parsed = parse_mfa_submission(json(
      R"({"webauthn":{"credential_id":"AQID","client_data_json":"e30","authenticator_data":"AAAA",
          "signature":"BAUG","user_handle":"dXNlcg"}})"));
  ASSERT_TRUE(parsed.has_value());
  const auto& response = std::get<AssertionResponse>(*parsed);
  EXPECT_EQ(response.credential_id, testing::from_hex("010203"));
  EXPECT_EQ(response.client_data_json, bytes_of("{}"));
  EXPECT_EQ(response.authenticator_data, testing::from_hex("000000"));
  EXPECT_EQ(response.signature, testing::from_hex("040506"));
  EXPECT_EQ(response.user_handle, bytes_of("user"));
  // user_handle may be absent or null.
  for (
      const char* text :
      {R"({"webauthn":{"credential_id":"AQID","client_data_json":"e30","authenticator_data":"AAAA","signature":"BAUG"}})",
       R"({"webauthn":{"credential_id":"AQID","client_data_json":"e30","authenticator_data":"AAAA","signature":"BAUG","user_handle":null}})"}) {
    auto without = parse_mfa_submission(json(text));
    ASSERT_TRUE(without.has_value()) << text;
    EXPECT_FALSE(std::get<AssertionResponse>(*without).user_handle.has_value());
  }
}

TEST(MfaSubmission, RefusesEverythingElseWithAReason) {
  const char* bad[] = {
      R"(null)",
      R"("123456")",
      R"({})",
      R"({"totp":"123456","webauthn":{}})",
      R"({"password":"x"})",
      R"({"totp":123456})",
      R"({"totp":"12345"})",
      R"({"totp":"123456789"})",
      R"({"totp":"12345a"})",
      R"({"webauthn":"x"})",
      R"({"webauthn":{"client_data_json":"e30","authenticator_data":"AAAA","signature":"BAUG"}})",
      R"({"webauthn":{"credential_id":"AQID","client_data_json":"e30=","authenticator_data":"AAAA","signature":"BAUG"}})",
      R"({"webauthn":{"credential_id":"AQ+D","client_data_json":"e30","authenticator_data":"AAAA","signature":"BAUG"}})",
      R"({"webauthn":{"credential_id":"","client_data_json":"e30","authenticator_data":"AAAA","signature":"BAUG"}})",
      R"({"webauthn":{"credential_id":1,"client_data_json":"e30","authenticator_data":"AAAA","signature":"BAUG"}})",
      R"({"webauthn":{"credential_id":"AQID","client_data_json":"e30","authenticator_data":"AAAA","signature":"BAUG","extra":1}})",
      R"({"webauthn":{"credential_id":"AQID","client_data_json":"e30","authenticator_data":"AAAA","signature":"BAUG","user_handle":5}})",
  };
  for (const char* text : bad) {
    std::string problem;
    EXPECT_EQ(parse_mfa_submission(json(text), &problem).error(), ApprovalsErrc::invalid_input)
        << text;
    EXPECT_TRUE(problem.starts_with("mfa")) << text << " -> " << problem;
  }
  std::string problem;
  (void)parse_mfa_submission(
      json(
          R"({"webauthn":{"credential_id":"AQID","client_data_json":"e30=","authenticator_data":"AAAA","signature":"BAUG"}})"),
      &problem);
  EXPECT_EQ(problem, "mfa.webauthn.client_data_json is not unpadded base64url");
}

TEST(MfaSubmission, BoundsSizes) {
  const std::string long_id = ca::base64url_encode_unpadded(ca::Bytes(1024));
  const std::string text =
      R"({"webauthn":{"credential_id":")" + long_id +
      R"(","client_data_json":"e30","authenticator_data":"AAAA","signature":"BAUG"}})";
  EXPECT_EQ(parse_mfa_submission(json(text)).error(), ApprovalsErrc::invalid_input);
}

TEST(MfaEvidence, TotpRoundTrip) {
  const MfaEvidence evidence = totp_evidence(56666667, from_unix_seconds(1700000015));
  const boost::json::object object = mfa_evidence_to_json(evidence);
  EXPECT_EQ(boost::json::serialize(object),
            R"({"factor":"totp","totp_step":56666667,"verified_at":1700000015})");
  EXPECT_EQ(mfa_evidence_from_json(object).value(), evidence);
}

TEST(MfaEvidence, WebAuthnRoundTrip) {
  AssertionEvidence assertion;
  assertion.credential_id = testing::from_hex("fbff01");
  assertion.new_sign_count = 42;
  assertion.flags = 0x05;
  assertion.verified_at = from_unix_seconds(1700000000);
  const MfaEvidence evidence = webauthn_evidence(assertion);
  const boost::json::object object = mfa_evidence_to_json(evidence);
  EXPECT_EQ(
      boost::json::serialize(object),
      R"({"factor":"webauthn","credential_id":"-_8B","sign_count":42,"verified_at":1700000000})");
  EXPECT_EQ(mfa_evidence_from_json(object).value(), evidence);
}

TEST(MfaEvidence, WebAuthnApprovalKeepsTheSignedAssertion) {
  AssertionEvidence assertion;
  assertion.credential_id = testing::from_hex("fbff01");
  assertion.new_sign_count = 7;
  assertion.verified_at = from_unix_seconds(1700000000);
  MfaEvidence evidence = webauthn_evidence(assertion);
  evidence.assertion = StoredAssertion{testing::from_hex("0102"), testing::bytes_of("{}"),
                                       testing::from_hex("3045"), ca::Bytes(32, std::byte{9})};
  const boost::json::object object = mfa_evidence_to_json(evidence);
  EXPECT_EQ(boost::json::serialize(object.at("assertion")),
            R"({"authenticator_data":"AQI","client_data_json":"e30","signature":"MEU",)"
            R"("approval_nonce":"CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk"})");
  EXPECT_EQ(mfa_evidence_from_json(object).value(), evidence);
  // Each part is required, non-empty and base64url; nothing else may be in it.
  for (
      const char* bad : {
          R"({"authenticator_data":"AQI","client_data_json":"e30","signature":"MEU"})",
          R"({"authenticator_data":"","client_data_json":"e30","signature":"MEU","approval_nonce":"CQ"})",
          R"({"authenticator_data":"AQI","client_data_json":"e30","signature":"ME+","approval_nonce":"CQ"})",
          R"({"authenticator_data":"AQI","client_data_json":"e30","signature":"MEU","nonce":"CQ"})",
          R"("AQI")",
      }) {
    boost::json::object broken = object;
    broken["assertion"] = json(bad);
    EXPECT_EQ(mfa_evidence_from_json(broken).error(), ApprovalsErrc::invalid_input) << bad;
  }
}

TEST(MfaEvidence, RefusesOtherShapes) {
  for (const char* text : {
           R"([])",
           R"({"factor":"sms","verified_at":1})",
           R"({"factor":"totp","totp_step":1})",
           R"({"factor":"totp","totp_step":-1,"verified_at":1})",
           R"({"factor":"totp","totp_step":1,"verified_at":"1"})",
           R"({"factor":"totp","totp_step":1,"verified_at":1,"credential_id":"AA"})",
           R"({"factor":"webauthn","credential_id":"AA","sign_count":4294967296,"verified_at":1})",
           R"({"factor":"webauthn","credential_id":"A","sign_count":1,"verified_at":1})",
           R"({"factor":"webauthn","credential_id":"","sign_count":1,"verified_at":1})",
           R"({"factor":"webauthn","sign_count":1,"verified_at":1,"totp_step":1})",
       }) {
    EXPECT_EQ(mfa_evidence_from_json(json(text)).error(), ApprovalsErrc::invalid_input) << text;
  }
}

}  // namespace
}  // namespace jit::approvals
