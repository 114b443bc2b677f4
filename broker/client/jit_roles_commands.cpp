#include "broker/client/jit_roles_commands.hpp"

#include "broker/client/jit_request_view.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace jit::broker {
namespace {

namespace json = boost::json;

bool flag_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->get_bool();
}

std::string may_text(const json::object& role) {
  std::string text;
  for (const auto& [key, word] :
       {std::pair{"requestable", "request"}, std::pair{"approver", "approve"},
        std::pair{"breakglass", "break-glass"}}) {
    if (!flag_field(role, key)) continue;
    text += (text.empty() ? "" : ",") + std::string(word);
  }
  return text.empty() ? "-" : text;
}

std::string needs_text(const json::object& role) {
  std::string text;
  if (flag_field(role, "require_reason")) text = "reason";
  if (flag_field(role, "require_ticket")) text += (text.empty() ? "" : ",") + std::string("ticket");
  return text.empty() ? "-" : text;
}

}  // namespace

std::optional<json::array> fetch_roles(BrokerApi& api) {
  const auto answer = api.get("/v1/roles");
  if (!answer) return std::nullopt;
  if (!answer->ok()) {
    api.refused(*answer);
    return std::nullopt;
  }
  const auto* object = answer->object();
  const auto* roles = object ? object->if_contains("roles") : nullptr;
  if (roles == nullptr || !roles->is_array()) {
    api.unexpected("roles");
    return std::nullopt;
  }
  return roles->get_array();
}

std::string roles_table(const json::array& roles) {
  std::size_t width = 4;
  for (const auto& entry : roles) {
    if (const auto* role = entry.if_object())
      width = std::max(width, text_field(*role, "name").size());
  }
  std::ostringstream out;
  out << std::left << std::setw(static_cast<int>(width)) << "ROLE"
      << "  " << std::setw(27) << "YOU MAY"
      << "  APPROVALS  MAX     DEFAULT  NEEDS\n";
  for (const auto& entry : roles) {
    const auto* role = entry.if_object();
    if (role == nullptr) continue;
    const auto approvals = int_field(*role, "approvals_required");
    out << std::setw(static_cast<int>(width)) << text_field(*role, "name") << "  " << std::setw(27)
        << may_text(*role) << "  " << std::setw(9)
        << (approvals ? std::to_string(*approvals) : std::string("?")) << "  " << std::setw(6)
        << text_field(*role, "max_duration") << "  " << std::setw(7)
        << text_field(*role, "default_duration") << "  " << needs_text(*role) << "\n";
  }
  return out.str();
}

int jit_roles(const JitGlobalOptions& global, std::ostream& out, std::ostream& err) {
  BrokerApi api(effective_profile(global), std::cin, err);
  if (!api.require_session()) return kJitUnauthenticated;
  const auto roles = fetch_roles(api);
  if (!roles) return kJitError;
  if (roles->empty()) {
    err << "jit: your groups may not request, approve or break-glass into any role\n";
    return kJitOk;
  }
  out << roles_table(*roles);
  return kJitOk;
}

void explain_request_refusal(BrokerApi& api, std::string_view code, std::string_view role,
                             std::ostream& err) {
  if (code != "unknown_role" && code != "not_requestable" && code != "duration_above_max") return;
  // Best effort: the refusal is already printed, so a failure here adds nothing.
  const auto answer = api.get("/v1/roles");
  const auto* object = answer && answer->ok() ? answer->object() : nullptr;
  const auto* value = object ? object->if_contains("roles") : nullptr;
  const auto* roles = value ? value->if_array() : nullptr;
  if (roles == nullptr) return;
  if (code == "duration_above_max") {
    for (const auto& entry : *roles) {
      const auto* object = entry.if_object();
      if (object == nullptr || text_field(*object, "name") != role) continue;
      err << "jit: the maximum duration of " << role << " is "
          << text_field(*object, "max_duration") << "\n";
    }
    return;
  }
  std::string names;
  for (const auto& entry : *roles) {
    const auto* object = entry.if_object();
    if (object == nullptr || !flag_field(*object, "requestable")) continue;
    names += (names.empty() ? "" : ", ") + text_field(*object, "name");
  }
  if (names.empty()) {
    err << "jit: your groups may not request any role\n";
  } else {
    err << "jit: roles you may request: " << names << " (see `jit roles`)\n";
  }
}

}  // namespace jit::broker
