// The `mfa` member of API calls (docs/api.md, "The mfa member"), exactly one of:
//   {"totp": "123456"}
//   {"webauthn": {"credential_id": B64URL, "client_data_json": B64URL, "authenticator_data":
//   B64URL,
//                 "signature": B64URL, "user_handle": B64URL or null (optional)}}
// where B64URL is unpadded base64url. Anything else is invalid_input, with a short text saying what
// is wrong (field names only, never values) for the API's error message.
#pragma once

#include "approvals/approvals_error.hpp"
#include "approvals/webauthn_types.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <variant>

namespace jit::approvals {

struct TotpSubmission {
  std::string code;  // 6 to 8 ASCII digits
};

using MfaSubmission = std::variant<TotpSubmission, AssertionResponse>;

// On failure, *problem (when given) receives e.g. "mfa.webauthn.signature is not base64url".
[[nodiscard]] Result<MfaSubmission> parse_mfa_submission(const boost::json::value& mfa,
                                                         std::string* problem = nullptr);

}  // namespace jit::approvals
