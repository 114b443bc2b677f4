#include "broker/auth/mfa_check.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/approvals_error.hpp"
#include "approvals/secret_box.hpp"
#include "approvals/totp.hpp"
#include "approvals/webauthn_ceremony.hpp"

namespace jit::broker {

ca::Bytes webauthn_user_handle(std::string_view user) {
  const auto bytes = ca::as_bytes(user);
  return ca::Bytes(bytes.begin(), bytes.end());
}

Result<VerifiedMfa> verify_mfa(const MfaContext& context, db::Connection& db,
                               const CredentialRecord& credentials,
                               const approvals::MfaSubmission& submission,
                               approvals::ChallengePurpose purpose,
                               const approvals::ApprovalSubject* approval_subject,
                               approvals::TimePoint now) {
  using approvals::ApprovalsErrc;
  VerifiedMfa verified;
  verified.user = credentials.user;
  if (const auto* totp = std::get_if<approvals::TotpSubmission>(&submission)) {
    if (credentials.sealed_totp_secret.empty()) return ApprovalsErrc::unauthenticated;
    auto secret = approvals::open_secret(context.data_key, credentials.sealed_totp_secret,
                                         ca::as_bytes(credentials.user));
    if (!secret) return ApprovalsErrc::internal_error;
    const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(now);
    auto step = approvals::verify_totp(*secret, totp->code, seconds,
                                       static_cast<std::uint64_t>(credentials.totp_last_step));
    ca::wipe(*secret);
    if (!step) return step.error();
    verified.evidence = approvals::totp_evidence(*step, now);
    return verified;
  }
  const auto& assertion = std::get<approvals::AssertionResponse>(submission);
  auto stored = find_webauthn_credential(db, assertion.credential_id);
  if (!stored || stored->user != credentials.user) return ApprovalsErrc::credential_mismatch;
  if (stored->possibly_cloned) return ApprovalsErrc::counter_regressed;
  approvals::StoredCredential credential{stored->credential_id, stored->cose_key,
                                         static_cast<approvals::CoseAlgorithm>(stored->algorithm),
                                         stored->sign_count,
                                         webauthn_user_handle(credentials.user)};
  Result<approvals::AssertionEvidence> evidence = ApprovalsErrc::invalid_input;
  switch (purpose) {
    case approvals::ChallengePurpose::registration:
      return ApprovalsErrc::invalid_input;
    case approvals::ChallengePurpose::login:
    case approvals::ChallengePurpose::presence:
      evidence = approvals::finish_assertion(context.challenges, context.webauthn, purpose,
                                             credentials.user, credential, assertion, now);
      break;
    case approvals::ChallengePurpose::approval:
      if (approval_subject == nullptr) return ApprovalsErrc::invalid_input;
      evidence = approvals::finish_approval_assertion(context.challenges, context.webauthn,
                                                      credentials.user, *approval_subject,
                                                      credential, assertion, now);
      break;
  }
  if (!evidence) {
    if (evidence.error() == ApprovalsErrc::counter_regressed) {
      verified.cloned_credential = true;
      verified.evidence.credential_id = stored->credential_id;
      verified.evidence.factor = approvals::MfaFactor::webauthn;
      return verified;
    }
    return evidence.error();
  }
  verified.evidence = approvals::webauthn_evidence(*evidence);
  if (purpose == approvals::ChallengePurpose::approval) {
    // Kept with the review so that an auditor can verify the signature again later (issue 14).
    verified.evidence.assertion =
        approvals::StoredAssertion{assertion.authenticator_data, assertion.client_data_json,
                                   assertion.signature, evidence->approval_nonce};
  }
  return verified;
}

boost::system::error_code commit_mfa(WriteContext& tx, const VerifiedMfa& verified) {
  using approvals::ApprovalsErrc;
  const auto& evidence = verified.evidence;
  if (evidence.factor == approvals::MfaFactor::totp) {
    auto current = find_credentials(tx.db(), verified.user);
    if (!current) return ApprovalsErrc::unauthenticated;
    if (static_cast<std::int64_t>(evidence.totp_step) <= current->totp_last_step) {
      return ApprovalsErrc::replayed;
    }
    record_totp_step(tx, verified.user, static_cast<std::int64_t>(evidence.totp_step));
    return {};
  }
  if (verified.cloned_credential) {
    mark_webauthn_cloned(tx, evidence.credential_id);
    tx.audit({verified.user, "webauthn.counter_regressed", "user/" + verified.user,
              R"({"action":"credential marked as possibly cloned"})"});
    return {};
  }
  auto current = find_webauthn_credential(tx.db(), evidence.credential_id);
  if (!current) return ApprovalsErrc::credential_mismatch;
  if (current->possibly_cloned) return ApprovalsErrc::counter_regressed;
  if ((current->sign_count != 0 || evidence.sign_count != 0) &&
      evidence.sign_count <= current->sign_count) {
    return ApprovalsErrc::counter_regressed;
  }
  update_webauthn_sign_count(tx, evidence.credential_id, evidence.sign_count);
  return {};
}

}  // namespace jit::broker
