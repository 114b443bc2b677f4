#include "approvals/access_rules.hpp"

namespace jit::approvals {
namespace {

// Length of the UTF-8 sequence starting at `text[i]`, or 0 when it is not a valid, shortest-form
// sequence of a scalar value; `value` is the scalar value.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i, unsigned& value) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  unsigned min_value = 0;
  value = lead;
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    min_value = 0x80;
    value = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    min_value = 0x800;
    value = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    min_value = 0x10000;
    value = lead & 0x07;
  } else
    return 0;
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i + k) & 0x3F);
  }
  if (value < min_value || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  return length;
}

// Characters a reason, ticket, comment or incident must not hold, beyond invalid UTF-8:
// - controls: C0 (tab allowed), DEL and C1 U+0080..U+009F (NEL breaks lines, CSI starts escapes);
// - bidirectional embeddings and overrides U+202A..U+202E and isolates U+2066..U+2069, which let a
//   reason display differently from what is stored and approved (CVE-2021-42574);
// - invisible format characters (Unicode category Cf that render as nothing), which let two texts
//   that look the same differ or hide text from the approver: soft hyphen U+00AD, Mongolian vowel
//   separator U+180E, zero-width space and (non-)joiners U+200B..U+200D, word joiner and invisible
//   operators U+2060..U+2064, deprecated format characters U+206A..U+206F, BOM / zero-width
//   no-break space U+FEFF, interlinear annotation U+FFF9..U+FFFB, shorthand format controls
//   U+1BCA0..U+1BCA3, musical beam and slur controls U+1D173..U+1D17A, and tag characters
//   U+E0001, U+E0020..U+E007F (which can smuggle ASCII invisibly).
// Right-to-left text and the marks LRM U+200E, RLM U+200F and ALM U+061C stay allowed: they only
// order neighbouring characters. Cf characters that show something (Arabic number signs, Kaithi
// and Egyptian hieroglyph controls) stay allowed too. Zero-width joiners also build emoji
// sequences and some Persian and Indic spellings; here a plain reason matters more.
bool refused_code_point(unsigned c) {
  if (c < 0x20) return c != '\t';
  if (c >= 0x7F && c <= 0x9F) return true;
  if (c == 0x00AD || c == 0x180E || c == 0xFEFF) return true;
  if (c >= 0x200B && c <= 0x200D) return true;
  if (c >= 0x202A && c <= 0x202E) return true;
  if (c >= 0x2060 && c <= 0x2064) return true;
  if (c >= 0x2066 && c <= 0x206F) return true;
  if (c >= 0xFFF9 && c <= 0xFFFB) return true;
  if (c >= 0x1BCA0 && c <= 0x1BCA3) return true;
  if (c >= 0x1D173 && c <= 0x1D17A) return true;
  return c == 0xE0001 || (c >= 0xE0020 && c <= 0xE007F);
}

Result<Seconds> pick_duration(std::optional<Seconds> asked, Seconds fallback, Seconds max) {
  const Seconds duration = asked.value_or(fallback);
  if (duration.count() <= 0) return RequestErrc::invalid_duration;
  if (duration > max) return RequestErrc::duration_above_max;
  return duration;
}

}  // namespace

Result<void> check_text(std::string_view text, std::size_t max_length) {
  if (text.size() > max_length) return RequestErrc::field_too_long;
  for (std::size_t i = 0; i < text.size();) {
    unsigned value = 0;
    const std::size_t length = utf8_sequence_length(text, i, value);
    if (length == 0 || refused_code_point(value)) return RequestErrc::invalid_text;
    i += length;
  }
  return {};
}

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // A continuation byte (10xxxxxx) at the cut belongs to the sequence before it: cut before that.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

Result<ApprovedAsk> check_access_request(const config::Policy& policy, const AccessAsk& ask) {
  if (!policy.has_user(ask.requester)) return RequestErrc::unknown_user;
  const config::Role* role = policy.find_role(ask.role);
  if (role == nullptr) return RequestErrc::unknown_role;
  if (!policy.in_any_group(ask.requester, role->requestable_by))
    return RequestErrc::not_requestable;
  if (auto ok = check_text(ask.reason, kMaxReasonLength); !ok) return ok.error();
  if (auto ok = check_text(ask.ticket, kMaxTicketLength); !ok) return ok.error();
  if (role->require_reason && ask.reason.find_first_not_of(" \t") == std::string::npos) {
    return RequestErrc::reason_required;
  }
  if (role->require_ticket && ask.ticket.find_first_not_of(" \t") == std::string::npos) {
    return RequestErrc::ticket_required;
  }
  auto duration = pick_duration(ask.duration, role->default_duration, role->max_duration);
  if (!duration) return duration.error();
  return ApprovedAsk{role, *duration};
}

Result<ApprovedAsk> check_breakglass_request(const config::Policy& policy,
                                             const BreakGlassAsk& ask) {
  if (!policy.has_user(ask.requester)) return RequestErrc::unknown_user;
  const config::Role* role = policy.find_role(ask.role);
  if (role == nullptr) return RequestErrc::unknown_role;
  if (!role->breakglass || !policy.in_any_group(ask.requester, role->breakglass->allowed_groups)) {
    return RequestErrc::breakglass_not_allowed;
  }
  if (auto ok = check_text(ask.incident, kMaxIncidentLength); !ok) return ok.error();
  if (auto ok = check_text(ask.reason, kMaxReasonLength); !ok) return ok.error();
  if (ask.incident.find_first_not_of(" \t") == std::string::npos)
    return RequestErrc::incident_required;
  if (ask.reason.find_first_not_of(" \t") == std::string::npos) return RequestErrc::reason_required;
  const Seconds max = role->breakglass->max_duration;
  auto duration = pick_duration(ask.duration, max, max);
  if (!duration) return duration.error();
  return ApprovedAsk{role, *duration};
}

bool may_see_mfa_evidence(const config::Policy& policy, std::string_view viewer) {
  return policy.in_group(viewer, config::kAuditorsGroup);
}

Result<void> check_reviewer(const config::Policy& policy, std::string_view role_name,
                            std::string_view requester, std::string_view reviewer) {
  if (!policy.has_user(reviewer)) return RequestErrc::unknown_user;
  if (reviewer == requester) return RequestErrc::self_review;
  const config::Role* role = policy.find_role(role_name);
  if (role == nullptr) return RequestErrc::unknown_role;
  if (!policy.in_any_group(reviewer, role->approvers)) return RequestErrc::not_an_approver;
  return {};
}

bool still_entitled(const config::Policy& policy, std::string_view user, std::string_view role_name,
                    bool breakglass) {
  if (!policy.has_user(user)) return false;
  const config::Role* role = policy.find_role(role_name);
  if (role == nullptr) return false;
  if (breakglass)
    return role->breakglass && policy.in_any_group(user, role->breakglass->allowed_groups);
  return policy.in_any_group(user, role->requestable_by);
}

bool may_view_request(const config::Policy& policy, std::string_view role_name,
                      std::string_view requester, std::string_view viewer) {
  if (!policy.has_user(viewer)) return false;
  if (viewer == requester) return true;
  if (policy.in_group(viewer, config::kAuditorsGroup)) return true;
  const config::Role* role = policy.find_role(role_name);
  return role != nullptr && policy.in_any_group(viewer, role->approvers);
}

}  // namespace jit::approvals
