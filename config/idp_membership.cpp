#include "config/idp_membership.hpp"

#include <mutex>

namespace jit::config {

void IdpMembership::set(const std::string& user, std::vector<std::string> groups) {
  std::set<std::string> next(std::make_move_iterator(groups.begin()),
                             std::make_move_iterator(groups.end()));
  const std::unique_lock lock(mutex_);
  members_[user] = std::move(next);
}

bool IdpMembership::known(std::string_view user) const {
  const std::shared_lock lock(mutex_);
  return members_.find(user) != members_.end();
}

bool IdpMembership::in_group(std::string_view user, std::string_view group) const {
  const std::shared_lock lock(mutex_);
  const auto it = members_.find(user);
  return it != members_.end() && it->second.contains(std::string(group));
}

std::vector<std::string> IdpMembership::groups_of(std::string_view user) const {
  const std::shared_lock lock(mutex_);
  const auto it = members_.find(user);
  if (it == members_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace jit::config
