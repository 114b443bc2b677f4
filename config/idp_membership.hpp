// The members of the policy's `source: idp` groups (docs/sso.md, "Groups from the identity
// provider"): who the identity provider put in which group at each user's last SSO login. The
// policy file never lists them; the broker fills this table from its store at start-up and
// replaces a user's entry at each SSO login, so Policy::in_group answers from it for those groups.
// Thread-safe: request handlers read while a login writes.
#pragma once

#include <map>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace jit::config {

class IdpMembership {
 public:
  // Replaces `user`'s groups (an empty list leaves the user known, in no idp group).
  void set(const std::string& user, std::vector<std::string> groups);
  // Whether `user` signed in through SSO at least once (the broker provisioned them).
  [[nodiscard]] bool known(std::string_view user) const;
  [[nodiscard]] bool in_group(std::string_view user, std::string_view group) const;
  [[nodiscard]] std::vector<std::string> groups_of(std::string_view user) const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::set<std::string>, std::less<>> members_;
};

}  // namespace jit::config
