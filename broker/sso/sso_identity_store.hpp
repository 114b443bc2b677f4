// Users who sign in through an identity provider (docs/sso.md), in the store: which provider and
// subject each one is, and the idp groups of their last SSO login. Functions run inside the
// caller's transaction (writes) or on a read connection.
#pragma once

#include "broker/store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::broker {

struct SsoIdentityRecord {
  std::string user;
  std::string provider;
  std::string subject;
  std::vector<std::string> groups;  // policy idp groups, sorted
  std::int64_t created_at = 0;
  std::int64_t last_login_at = 0;
};

std::optional<SsoIdentityRecord> find_sso_identity(db::Connection& db, std::string_view user);
std::optional<SsoIdentityRecord> find_sso_identity_by_subject(db::Connection& db,
                                                              std::string_view provider,
                                                              std::string_view subject);
std::vector<SsoIdentityRecord> all_sso_identities(db::Connection& db);

// Creates the user (a credentials row without a password, and the identity) on their first SSO
// login.
void insert_sso_user(WriteContext& tx, const SsoIdentityRecord& record);
// At each later login: the groups replace the previous set.
void record_sso_login(WriteContext& tx, std::string_view user,
                      const std::vector<std::string>& groups, std::int64_t now);

}  // namespace jit::broker
