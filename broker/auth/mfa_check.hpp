// Verifies the `mfa` object of an API call for one user, in two halves: `verify_mfa` does the
// cryptography on a read snapshot (no lock held), and `commit_mfa` runs inside the write
// transaction that acts on it (broker/auth/presence.hpp `spend_presence` for actions), re-checking
// what a concurrent call could have used up meanwhile (the TOTP step, the WebAuthn sign count). So
// a code or an assertion is accepted once even when two calls race.
#pragma once

#include "approvals/challenge_store.hpp"
#include "approvals/mfa_evidence.hpp"
#include "approvals/mfa_submission.hpp"
#include "approvals/request_binding.hpp"
#include "approvals/webauthn_types.hpp"
#include "broker/auth/credential_store.hpp"
#include "broker/store/db/db_connection.hpp"
#include "broker/store/store.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>

namespace jit::broker {

struct MfaContext {
  approvals::ChallengeStore& challenges;
  const approvals::WebAuthnSettings& webauthn;
  ca::ByteView data_key;
};

struct VerifiedMfa {
  approvals::MfaEvidence evidence;
  std::string user;
  bool cloned_credential = false;  // the counter went back: mark the credential, refuse the call
};

// `purpose` is the ceremony a WebAuthn assertion belongs to (login, presence or approval; a
// registration challenge proves nothing here). `approval_subject` is required for
// ChallengePurpose::approval with WebAuthn (the request as stored).
// Errors: approvals codes (unauthenticated, replayed, expired, invalid_input, ...).
Result<VerifiedMfa> verify_mfa(const MfaContext& context, db::Connection& db,
                               const CredentialRecord& credentials,
                               const approvals::MfaSubmission& submission,
                               approvals::ChallengePurpose purpose,
                               const approvals::ApprovalSubject* approval_subject,
                               approvals::TimePoint now);

// Inside the write transaction: refuses a TOTP step at or below the stored one and a sign count
// that did not grow (another call used them first), then stores the new step or count.
boost::system::error_code commit_mfa(WriteContext& tx, const VerifiedMfa& verified);

// The user handle sent at WebAuthn registration and checked at assertion.
ca::Bytes webauthn_user_handle(std::string_view user);

}  // namespace jit::broker
