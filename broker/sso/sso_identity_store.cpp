#include "broker/sso/sso_identity_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;

std::string groups_to_json(const std::vector<std::string>& groups) {
  json::array array;
  for (const auto& group : groups) array.emplace_back(group);
  return json::serialize(array);
}

// Written by this file only; anything else reads as no groups.
std::vector<std::string> groups_from_json(const std::string& text) {
  std::vector<std::string> groups;
  boost::system::error_code ec;
  const auto value = json::parse(text, ec);
  if (ec || !value.is_array()) return groups;
  for (const auto& group : value.as_array()) {
    if (group.is_string()) groups.emplace_back(group.as_string());
  }
  return groups;
}

constexpr const char* kSsoIdentityColumns =
    "SELECT \"user\", provider, subject, idp_groups, created_at, last_login_at FROM sso_identities";

SsoIdentityRecord sso_identity_from_row(db::Statement& q) {
  return {q.get_text(0),  q.get_text(1), q.get_text(2), groups_from_json(q.get_text(3)),
          q.get_int64(4), q.get_int64(5)};
}

}  // namespace

std::optional<SsoIdentityRecord> find_sso_identity(db::Connection& db, std::string_view user) {
  db::Statement q(db, std::string(kSsoIdentityColumns) + " WHERE \"user\" = ?");
  q.bind(1, std::string(user));
  if (!q.step()) return std::nullopt;
  return sso_identity_from_row(q);
}

std::optional<SsoIdentityRecord> find_sso_identity_by_subject(db::Connection& db,
                                                              std::string_view provider,
                                                              std::string_view subject) {
  db::Statement q(db, std::string(kSsoIdentityColumns) + " WHERE provider = ? AND subject = ?");
  q.bind(1, std::string(provider));
  q.bind(2, std::string(subject));
  if (!q.step()) return std::nullopt;
  return sso_identity_from_row(q);
}

std::vector<SsoIdentityRecord> all_sso_identities(db::Connection& db) {
  std::vector<SsoIdentityRecord> records;
  db::Statement q(db, std::string(kSsoIdentityColumns) + " ORDER BY \"user\"");
  while (q.step()) records.push_back(sso_identity_from_row(q));
  return records;
}

void insert_sso_user(WriteContext& tx, const SsoIdentityRecord& record) {
  // No password: password_hash '' never verifies, and the password login refuses it outright.
  db::Statement credentials(tx.db(),
                            "INSERT INTO credentials(\"user\", password_hash, created_at, "
                            "updated_at) VALUES (?, '', ?, ?)");
  credentials.bind(1, record.user);
  credentials.bind(2, record.created_at);
  credentials.bind(3, record.created_at);
  credentials.exec();
  db::Statement identity(tx.db(),
                         "INSERT INTO sso_identities(\"user\", provider, subject, idp_groups, "
                         "created_at, last_login_at) VALUES (?, ?, ?, ?, ?, ?)");
  identity.bind(1, record.user);
  identity.bind(2, record.provider);
  identity.bind(3, record.subject);
  identity.bind(4, groups_to_json(record.groups));
  identity.bind(5, record.created_at);
  identity.bind(6, record.last_login_at);
  identity.exec();
}

void record_sso_login(WriteContext& tx, std::string_view user,
                      const std::vector<std::string>& groups, std::int64_t now) {
  db::Statement update(tx.db(),
                       "UPDATE sso_identities SET idp_groups = ?, last_login_at = ? "
                       "WHERE \"user\" = ?");
  update.bind(1, groups_to_json(groups));
  update.bind(2, now);
  update.bind(3, std::string(user));
  update.exec();
}

}  // namespace jit::broker
