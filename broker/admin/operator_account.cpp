#include "broker/admin/operator_account.hpp"

#include <pwd.h>
#include <unistd.h>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <vector>

namespace jit::broker {
namespace {

std::string effective_account() {
  const uid_t uid = ::geteuid();
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(static_cast<std::size_t>(size > 0 ? size : 16384));
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
      found->pw_name != nullptr) {
    return found->pw_name;
  }
  return "uid " + std::to_string(uid);  // an account without a passwd entry (a container)
}

}  // namespace

boost::json::object with_operator_account(boost::json::object details) {
  details["os_user"] = effective_account();
  if (const char* sudo_user = std::getenv("SUDO_USER"); sudo_user != nullptr && *sudo_user != 0) {
    // Bounded: it goes into a record, whatever the environment holds.
    details["sudo_user"] = std::string(sudo_user).substr(0, 64);
  }
  return details;
}

std::string operator_account_details() { return boost::json::serialize(with_operator_account({})); }

}  // namespace jit::broker
