#include "broker/client/jit_ssh_command.hpp"

#include "broker/client/credential_files.hpp"
#include "broker/client/jit_access_commands.hpp"
#include "broker/client/jit_cert_commands.hpp"
#include "broker/client/jit_request_view.hpp"
#include "broker/client/jit_roles_commands.hpp"
#include "ca/ssh_certificate.hpp"

#include <boost/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include <pwd.h>
#include <unistd.h>

namespace jit::broker {
namespace {

namespace json = boost::json;

// A grant or certificate this close to its end is not worth reusing: the session would be cut.
constexpr std::int64_t kReuseMarginSeconds = 60;
constexpr auto kSshWaitInterval = std::chrono::seconds(1);

bool role_flag(const json::object& role, std::string_view key) {
  const auto* value = role.if_contains(key);
  return value != nullptr && value->is_bool() && value->get_bool();
}

bool has_principal(const json::object& role, const std::string& user) {
  const auto* principals = role.if_contains("ssh_principals");
  if (principals == nullptr || !principals->is_array()) return false;
  for (const auto& principal : principals->get_array()) {
    if (principal.is_string() && principal.get_string() == user) return true;
  }
  return false;
}

const json::object* find_role(const json::array& roles, const std::string& name) {
  for (const auto& entry : roles) {
    const auto* role = entry.if_object();
    if (role != nullptr && text_field(*role, "name") == name) return role;
  }
  return nullptr;
}

std::string local_user_name() {
  if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr && entry->pw_name != nullptr)
    return entry->pw_name;
  const char* user = std::getenv("USER");
  return user != nullptr ? user : "";
}

// The caller's active grant of `role` with the latest end, when it has more than a minute left.
std::optional<std::string> active_grant(BrokerApi& api, const std::string& role, int& code) {
  code = kJitError;
  const auto answer = api.get("/v1/grants?state=active&limit=500");
  if (!answer) return std::nullopt;
  if (!answer->ok()) {
    code = api.refused(*answer);
    return std::nullopt;
  }
  const auto* object = answer->object();
  const auto* grants = object ? object->if_contains("grants") : nullptr;
  if (grants == nullptr || !grants->is_array()) {
    code = api.unexpected("grants");
    return std::nullopt;
  }
  code = kJitOk;
  std::optional<std::string> best;
  std::int64_t best_end = unix_now() + kReuseMarginSeconds;
  for (const auto& entry : grants->get_array()) {
    const auto* grant = entry.if_object();
    if (grant == nullptr || text_field(*grant, "user") != api.profile().user ||
        text_field(*grant, "role") != role || text_field(*grant, "state") != "active") {
      continue;
    }
    const auto end = int_field(*grant, "not_after").value_or(0);
    if (end > best_end && is_object_id("grt-", text_field(*grant, "id"))) {
      best = text_field(*grant, "id");
      best_end = end;
    }
  }
  return best;
}

// A text a new request needs: the option, else a prompt on a terminal; nullopt when the role
// requires it and there is neither.
std::optional<std::string> request_text(const std::optional<std::string>& given, bool required,
                                        const char* what, std::istream& in, std::ostream& err) {
  if (given || !required) return given ? given : std::optional<std::string>("");
  if (!(&in == &std::cin && ::isatty(STDIN_FILENO) == 1)) {
    err << "jit: the role requires a " << what << "; give --" << what << "\n";
    return std::nullopt;
  }
  err << what << " (the approvers read it): " << std::flush;
  std::string line;
  std::getline(in, line);
  if (line.find_first_not_of(" \t") == std::string::npos) {
    err << "jit: the role requires a " << what << "\n";
    return std::nullopt;
  }
  return line;
}

// Requests `role` and waits for the decision; the grant id, or nullopt with `code` set.
std::optional<std::string> new_grant(BrokerApi& api, const SshOptions& options,
                                     const json::object& role, std::istream& in, std::ostream& err,
                                     int& code) {
  code = kJitError;
  const auto reason =
      request_text(options.reason, role_flag(role, "require_reason"), "reason", in, err);
  if (!reason) return std::nullopt;
  const auto ticket =
      request_text(options.ticket, role_flag(role, "require_ticket"), "ticket", in, err);
  if (!ticket) return std::nullopt;
  json::object body{{"role", text_field(role, "name")}};
  if (!reason->empty()) body["reason"] = *reason;
  if (!ticket->empty()) body["ticket"] = *ticket;
  if (options.duration) body["duration"] = *options.duration;
  const auto answer = api.post_with_mfa("/v1/requests", body, MfaPolicy::if_asked, options.totp);
  if (!answer) return std::nullopt;
  if (!answer->ok()) {
    code = api.refused(*answer);
    explain_request_refusal(api, answer->error_code(), text_field(role, "name"), err);
    return std::nullopt;
  }
  const auto* request = answer->object();
  const std::string id = request ? text_field(*request, "id") : std::string();
  if (!is_object_id("req-", id)) {
    code = api.unexpected("no request id");
    return std::nullopt;
  }
  err << "requested " << text_field(role, "name") << " as " << id << "; waiting for approval\n";
  std::string grant;
  code = await_grant(api, id, options.wait_timeout, kSshWaitInterval, grant, err);
  if (code != kJitOk) return std::nullopt;
  return grant;
}

// True when `paths` hold a certificate that is good for more than a minute.
bool certificate_reusable(const SshCredentialPaths& paths) {
  std::error_code ec;
  if (!std::filesystem::exists(paths.private_key, ec)) return false;
  std::ifstream file(paths.certificate);
  std::string line;
  if (!std::getline(file, line)) return false;
  const auto certificate = ca::parse_ssh_certificate_line(line);
  return certificate &&
         certificate->valid_before > static_cast<std::uint64_t>(unix_now() + kReuseMarginSeconds);
}

}  // namespace

std::string ssh_login_user(const std::string& destination, const std::string& local_user) {
  const auto at = destination.rfind('@');
  return at == std::string::npos ? local_user : destination.substr(0, at);
}

std::optional<std::string> pick_ssh_role(const json::array& roles, const std::string& login_user,
                                         const std::optional<std::string>& chosen,
                                         std::string& why) {
  if (chosen) {
    const auto* role = find_role(roles, *chosen);
    if (role == nullptr || !role_flag(*role, "requestable")) {
      why = "you may not request the role " + *chosen;
      return std::nullopt;
    }
    return chosen;
  }
  std::vector<std::string> matching;
  std::string requestable;
  for (const auto& entry : roles) {
    const auto* role = entry.if_object();
    if (role == nullptr || !role_flag(*role, "requestable")) continue;
    const std::string name = text_field(*role, "name");
    requestable += (requestable.empty() ? "" : ", ") + name;
    if (has_principal(*role, login_user)) matching.push_back(name);
  }
  if (matching.size() == 1) return matching.front();
  if (matching.empty()) {
    why = "no role you may request logs in as '" + login_user + "'; give --role (roles you may " +
          "request: " + (requestable.empty() ? "none" : requestable) + ")";
  } else {
    why = "several roles log in as '" + login_user + "': ";
    for (std::size_t i = 0; i < matching.size(); ++i) why += (i ? ", " : "") + matching[i];
    why += "; give --role";
  }
  return std::nullopt;
}

std::vector<std::string> ssh_command_line(const SshOptions& options,
                                          const std::filesystem::path& key,
                                          const std::filesystem::path& certificate) {
  std::vector<std::string> argv{"ssh",
                                "-i",
                                key.string(),
                                "-o",
                                "CertificateFile=" + certificate.string(),
                                "-o",
                                "IdentitiesOnly=yes"};
  if (options.port) {
    argv.push_back("-p");
    argv.push_back(std::to_string(*options.port));
  }
  for (const auto& option : options.ssh_options) {
    argv.push_back("-o");
    argv.push_back(option);
  }
  argv.push_back("--");  // the destination can never be taken for an option
  argv.push_back(options.destination);
  argv.insert(argv.end(), options.command.begin(), options.command.end());
  return argv;
}

int jit_ssh(const JitGlobalOptions& global, const SshOptions& options, std::istream& in,
            std::ostream& err) {
  BrokerApi api(effective_profile(global), in, err);
  if (!api.require_session()) return kJitUnauthenticated;
  if (api.profile().user.empty()) {
    err << "jit: the stored session names no user; run `jit login --user NAME`\n";
    return kJitUnauthenticated;
  }
  if (options.destination.empty() || options.destination.front() == '-') {
    err << "jit: '" << options.destination << "' is not a [USER@]HOST\n";
    return kJitError;
  }
  const auto roles = fetch_roles(api);
  if (!roles) return kJitError;
  std::string why;
  const auto role_name = pick_ssh_role(
      *roles, ssh_login_user(options.destination, local_user_name()), options.role, why);
  if (!role_name) {
    err << "jit: " << why << "\n";
    return kJitError;
  }
  int code = kJitError;
  auto grant = active_grant(api, *role_name, code);
  if (code != kJitOk) return code;
  if (grant) {
    err << "using your active grant " << *grant << " of " << *role_name << "\n";
  } else {
    grant = new_grant(api, options, *find_role(*roles, *role_name), in, err, code);
    if (!grant) return code;
  }

  SshCertOptions cert;
  cert.grant = *grant;
  cert.totp = options.totp;
  cert.add_to_agent = false;  // ssh gets the files with -i; nothing is left in an agent
  if (options.dir) {
    cert.dir = *options.dir;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    cert.dir = std::filesystem::path(home) / ".ssh";
  } else {
    err << "jit: HOME is not set; give --dir\n";
    return kJitError;
  }
  std::error_code ec;
  const auto dir = std::filesystem::absolute(*cert.dir, ec);
  const auto paths = ssh_credential_paths(dir, *grant);
  if (certificate_reusable(paths)) {
    err << "using the certificate in " << paths.certificate.string() << "\n";
  } else {
    std::ostringstream ssh_lines;  // the command's own `ssh -i ...` lines: we run ssh instead
    code = jit_ssh_cert(global, cert, in, ssh_lines, err);
    if (code != kJitOk) return code;
  }

  const auto argv = ssh_command_line(options, paths.private_key, paths.certificate);
  std::vector<std::string> copies = argv;
  std::vector<char*> args;
  for (auto& arg : copies) args.push_back(arg.data());
  args.push_back(nullptr);
  err << std::flush;
  std::cout << std::flush;
  ::execvp(args[0], args.data());
  err << "jit: cannot run ssh: " << std::strerror(errno) << "\n";
  return kJitError;
}

}  // namespace jit::broker
